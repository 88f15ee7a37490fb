"""The probes the scanner injects into every frame before the page's own scripts.

They report who wrote a cookie or a storage key, and who read a canvas back (a fingerprinting tell),
with the script URLs from the JavaScript stack, through a Playwright binding. CDP alone cannot
name the script behind a `document.cookie` write. A Python string, so packaging needs no data files.
"""

BINDING = "__kelisimScanReport"

HOOKS_JS = r"""
// Kelisim scanner probes, injected into every frame before the page's own scripts. They report who
// wrote a cookie or storage key and who read a canvas back, with the script URL from the stack, to
// the scanner through a Playwright binding. The page's behaviour is unchanged.
(() => {
  const report = window.__kelisimScanReport;
  if (typeof report !== "function" || window.__kelisimScanHooked) return;
  window.__kelisimScanHooked = true;
  const scripts = () => {
    const urls = [];
    for (const line of String(new Error().stack || "").split("\n").slice(2)) {
      const m = line.match(/(https?:\/\/[^\s)]+?)(?::\d+){1,2}\)?\s*$/);
      if (m && !urls.includes(m[1])) urls.push(m[1]);
    }
    return urls;
  };
  const send = (kind, data) => {
    try {
      report(kind, Object.assign({ frame: location.href, stack: scripts() }, data));
    } catch (e) {}
  };
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (desc && desc.set) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: desc.enumerable,
      get() { return desc.get.call(this); },
      set(v) { desc.set.call(this, v); send("cookie", { line: String(v) }); },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (k, v) {
    const r = setItem.apply(this, arguments);
    let kind = "local";
    try { kind = this === window.sessionStorage ? "session" : "local"; } catch (e) {}
    send("storage", { kind, key: String(k) });
    return r;
  };
  const canvasRead = (name, orig) => function () {
    const c = this.canvas || this;
    if (c.width * c.height > 256) {
      send("canvas", { api: name });
    }
    return orig.apply(this, arguments);
  };
  const C = HTMLCanvasElement.prototype;
  C.toDataURL = canvasRead("toDataURL", C.toDataURL);
  C.toBlob = canvasRead("toBlob", C.toBlob);
  const X = CanvasRenderingContext2D.prototype;
  X.getImageData = canvasRead("getImageData", X.getImageData);
})();
"""
