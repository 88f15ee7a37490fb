"""A tiny loopback site for scanner tests, independent of the demo.

One threaded HTTP server answers for the site (127.0.0.1) and for two real vendor hostnames that
the scanner maps to it with --resolve (VENDOR_HOSTS), so attribution runs against the real
catalogue. The page carries a minimal stand-in for window.kelisim (same public API). `/` is
clean; `/bad/` plants one violation per core rule, listed in BAD_PAGE_VIOLATIONS.

`/late/` and `/late-bad/` are twins whose tags start late or on interaction, as real tags do: a
timer 4 s after load (gtag.js), a GTM-like container whose own 4 s timer loads Metrica and a
cross-site Metrica iframe writing localStorage, a pixel on first scroll, a beacon on pagehide and
a service worker that fetches. The good twin gates each on the visitor's current choice; the bad
one does not (LATE_BAD_VIOLATIONS), and also loads a tracker no catalogue vendor covers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.loopback import LoopbackServer, QuietHandler

VENDOR_HOSTS = (
    "mc.yandex.ru",
    "vk.com",
    "www.googletagmanager.com",
    "www.google-analytics.com",
    "top-fwz1.mail.ru",
    "pixel.trackly.io",  # no catalogue vendor: an undeclared tracker
)

KELISIM_STUB = """
<script>
window.kelisim = (function () {
  var ids = ["yandex_metrika", "vk", "google_analytics"];
  var read = function () {
    var m = document.cookie.match(/(?:^|; )kelisim_consent=([^;]*)/);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : null; } catch (e) { return null; }
  };
  var state = read();
  var get = function () {
    var v = {}; ids.forEach(function (i) { v[i] = !!(state && state[i]); });
    return {decided: !!state, vendors: v, revision: 1};
  };
  var listeners = [];
  var store = function (grants) {
    document.cookie = "kelisim_consent=" + encodeURIComponent(JSON.stringify(grants)) +
      "; path=/; max-age=15552000; samesite=lax";
    state = grants;
    window.__activate && window.__activate(state, true);
    listeners.forEach(function (f) { f(get()); });
    return Promise.resolve(get());
  };
  var all = function (on) { var g = {}; ids.forEach(function (i) { g[i] = on; }); return g; };
  return {
    ready: Promise.resolve(), get: get, show: function () {},
    on: function (n, f) { listeners.push(f); },
    acceptAll: function () { return store(all(true)); },
    rejectAll: function () { return store(all(false)); },
    set: function (o) { var g = all(false); for (var k in o) g[k] = o[k]; return store(g); },
    withdraw: function () {
      document.cookie = "_ym_uid=; max-age=0; path=/";
      localStorage.removeItem("_ym_uid");
      return store(all(false)).then(function () {
        setTimeout(function () { location.reload(); });
      });
    }
  };
})();
</script>
"""

BANNER = """
<div id="banner" style="position:fixed;bottom:0;left:0;right:0;padding:16px;background:#eee">
  <p>Мы используем cookie.</p>
  <button style="font-size:16px;padding:8px 24px">Принять все</button>
  {reject}
  <button style="font-size:16px;padding:8px 24px">Настроить</button>
</div>
"""
REJECT_BUTTON = '<button style="font-size:16px;padding:8px 24px">Отклонить все</button>'

# Activation: Metrica's tag only when granted (the clean page) or on any choice (the bad page).
ACTIVATE = """
<script>
window.__activate = function (state, fresh) {
  if (window.__ym) return;
  if ({condition}) {
    window.__ym = true;
    var s = document.createElement("script");
    s.src = "http://mc.yandex.ru/metrika/tag.js{query}";
    document.head.appendChild(s);
  }
};
var st = window.kelisim.get();
if (st.decided) window.__activate(st.vendors, false);
</script>
"""

METRIKA_TAG = """
document.cookie = "_ym_uid=1700000000123; path=/; max-age={max_age}; samesite=lax";
try { localStorage.setItem("_ym_uid", "1700000000123"); } catch (e) {}
fetch("http://mc.yandex.ru/watch/1?page=" + encodeURIComponent(location.href), {keepalive: true});
"""

CLEAN_PAGE = (
    "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Clean</title>"
    + KELISIM_STUB
    + "</head><body><h1>Кредит</h1><a href='/about/'>О нас</a>"
    + BANNER.replace("{reject}", REJECT_BUTTON)
    + ACTIVATE.replace("{condition}", "state.yandex_metrika").replace("{query}", "")
    + "</body></html>"
)

# /bad/: VK pixel before any choice (V02), Metrica on every choice including Reject all (V03) and
# a single-vendor grant of vk (V04), with a 10-year _ym_uid (V08, declared 365 days), an undeclared
# first-party cookie (V06), no Reject button (V13).
BAD_PAGE = (
    "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Bad</title>"
    + KELISIM_STUB
    + "</head><body><h1>Кредит</h1><img src='http://vk.com/rtrg?p=1' width=1 height=1>"
    + BANNER.replace("{reject}", "")
    + ACTIVATE.replace("{condition}", "true").replace("{query}", "?bad=1")
    + "</body></html>"
)

BAD_PAGE_VIOLATIONS = (
    ("V02", "none", "vk"),
    ("V03", "reject", "yandex_metrika"),
    ("V04", "vendor:vk", "yandex_metrika"),
    ("V06", "any", None),
    ("V08", "any", "yandex_metrika"),
    ("V13", "none", None),
)

POLICY_PAGE = (
    "<!doctype html><html><body><h1>Политика</h1><p>Мы используем Яндекс.Метрика.</p></body></html>"
)


LATE_IDS = '["yandex_metrika", "vk", "google_analytics", "google_tag_manager", "mail_ru"]'
LATE_STUB = KELISIM_STUB.replace('["yandex_metrika", "vk", "google_analytics"]', LATE_IDS).replace(
    'localStorage.removeItem("_ym_uid");',
    'localStorage.removeItem("_ym_uid");\n      document.cookie = "_ga=; max-age=0; path=/";',
)

# {gate}: a JS expression of vendor id `id` that says whether the tag may run.
LATE_TAGS = """
<script>
var granted = function (id) { var s = window.kelisim.get(); return s.decided && s.vendors[id]; };
var gate = function (id) { return {gate}; };
var load = function (src) {
  var s = document.createElement("script"); s.src = src; document.head.appendChild(s);
};
window.addEventListener("load", function () {
  setTimeout(function () {
    if (gate("google_analytics")) load("http://www.googletagmanager.com/gtag/js?id=G-1");
  }, 4000);
  if (gate("google_tag_manager")) load("http://www.googletagmanager.com/gtm.js?id={container}");
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/{worker}");
});
window.addEventListener("scroll", function first() {
  window.removeEventListener("scroll", first);
  if (gate("vk")) { var i = new Image(); i.src = "http://vk.com/rtrg?p=scroll"; }
});
var leaveBeacon = gate("mail_ru");  // decided at load: {leave}
window.addEventListener("pagehide", function () {
  if ({leave_check}) navigator.sendBeacon("http://top-fwz1.mail.ru/counter?leave=1", "x");
});
</script>
"""

# The GTM-like container: its timer trigger fires 4 s after it loads.
CONTAINER_JS = """
setTimeout(function () {
  if ({gate}) {
    var s = document.createElement("script");
    s.src = "http://mc.yandex.ru/metrika/tag.js";
    document.head.appendChild(s);
    var f = document.createElement("iframe");
    f.src = "http://mc.yandex.ru/frame.html"; f.width = 1; f.height = 1;
    document.body.appendChild(f);
  }
}, 4000);
"""
GTAG_JS = """
document.cookie = "_ga=GA1.1.1700000000.1700000000; path=/; max-age=63072000; samesite=lax";
fetch("http://www.google-analytics.com/g/collect?v=2&tid=G-1", {mode: "no-cors", keepalive: true});
"""
FRAME_PAGE = (
    "<!doctype html><html><body><script>"
    "try { localStorage.setItem('_ym_uid', '1700000000123'); } catch (e) {}"
    "</script></body></html>"
)
# Service workers: the good one only talks to its own site, the bad one to VK's pixel.
SW_GOOD = "self.addEventListener('activate', function () { fetch('/sw-ping'); });"
SW_BAD = (
    "self.addEventListener('activate', function () {"
    " fetch('http://vk.com/rtrg?p=sw', {mode: 'no-cors'}); });"
)


def _late_page(bad: bool) -> str:
    tags = (
        LATE_TAGS.replace("{gate}", "true" if bad else "granted(id)")
        .replace("{container}", "GTM-BAD" if bad else "GTM-1")
        .replace("{worker}", "sw-bad.js" if bad else "sw.js")
        .replace("{leave}", "never told of a withdrawal" if bad else "asked again on pagehide")
        .replace("{leave_check}", "true" if bad else "granted('mail_ru')")
    )
    unknown = "<img src='http://pixel.trackly.io/p.gif' width=1 height=1>" if bad else ""
    return (
        "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Late</title>"
        + LATE_STUB
        + "</head><body><h1>Кредит</h1><label>Сумма <input name=amount></label>"
        + "<div style='height:3000px'></div>"
        + unknown
        + BANNER.replace("{reject}", REJECT_BUTTON)
        + tags
        + "</body></html>"
    )


LATE_PAGE = _late_page(bad=False)
LATE_BAD_PAGE = _late_page(bad=True)

# (rule, state, vendor) that /late-bad/ must give; every one starts late or on leaving the page.
LATE_BAD_VIOLATIONS = (
    ("V02", "none", "google_analytics"),  # gtag.js by a 4 s timer
    ("V01", "none", "google_analytics"),  # its _ga cookie
    ("V02", "none", "google_tag_manager"),
    ("V02", "none", "yandex_metrika"),  # Metrica by the container's 4 s timer
    ("V03", "reject", "yandex_metrika"),
    ("V02", "none", "vk"),  # the pixel on scroll, and the service worker's fetch
    ("V03", "reject", "google_analytics"),
    ("V02", "none", "unknown"),  # pixel.trackly.io: no catalogue vendor
    ("V03", "reject", "unknown"),
    ("V06", "any", None),
)


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        path = urlsplit(self.path).path
        html = "text/html; charset=utf-8"
        if host == "mc.yandex.ru":
            if path == "/frame.html":
                self._send(200, FRAME_PAGE.encode(), "text/html; charset=utf-8")
            elif path == "/metrika/tag.js":
                max_age = 315360000 if "bad=1" in self.path else 31536000
                self._send(
                    200, METRIKA_TAG.replace("{max_age}", str(max_age)).encode(), "text/javascript"
                )
            else:
                self._send(204, b"", "text/plain", {"Access-Control-Allow-Origin": "*"})
            return
        if host in ("vk.com", "pixel.trackly.io"):
            self._send(200, b"GIF89a", "image/gif")
            return
        if host == "www.googletagmanager.com":
            if path == "/gtm.js":
                gate = "true" if "GTM-BAD" in self.path else "granted('yandex_metrika')"
                body = CONTAINER_JS.replace("{gate}", gate)
            else:
                body = GTAG_JS
            self._send(200, body.encode(), "text/javascript")
            return
        if host in ("www.google-analytics.com", "top-fwz1.mail.ru"):
            self._send(204, b"", "text/plain", {"Access-Control-Allow-Origin": "*"})
            return
        if path == "/":
            self._send(200, CLEAN_PAGE.encode(), html)
        elif path == "/about/":
            self._send(200, CLEAN_PAGE.replace("Clean", "About").encode(), html)
        elif path == "/bad/":
            self._send(
                200, BAD_PAGE.encode(), html, {"Set-Cookie": "_mystery=1; Path=/; Max-Age=86400"}
            )
        elif path in ("/late/", "/late-bad/"):
            self._send(200, (LATE_BAD_PAGE if "bad" in path else LATE_PAGE).encode(), html)
        elif path in ("/sw.js", "/sw-bad.js"):
            self._send(200, (SW_BAD if "bad" in path else SW_GOOD).encode(), "text/javascript")
        elif path == "/sw-ping":
            self._send(204, b"", "text/plain")
        elif path == "/policy/":
            self._send(200, POLICY_PAGE.encode(), html)
        elif path == "/sitemap.xml":
            port = self.server.server_address[1]
            body = f"<urlset><url><loc>http://127.0.0.1:{port}/about/</loc></url></urlset>"
            self._send(200, body.encode(), "application/xml")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        self._send(204, b"", "text/plain", {"Access-Control-Allow-Origin": "*"})


class LoopbackSite(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler, VENDOR_HOSTS)
