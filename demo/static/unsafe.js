/* PLANTED VIOLATIONS U04, U05, U07 (demo/unsafe_plan.py). Only the unsafe twin loads this file.
 * The helpers open frames of the site's own that do not load Kelisim (a common way trackers slip
 * past a consent manager), so what those frames load is never gated:
 * U04/U07 "session quality": on any consent event, whatever the choice, a frame loads Microsoft
 *         Clarity and stretches its _clsk cookie to 30 days (declared: 1 day).
 * U05 "attribution": once the Google Analytics tag goes live, a frame loads AppsFlyer, although
 *     AppsFlyer may not have been granted. */
(function (w, d) {
  var me = d.currentScript;
  var helpers = me.getAttribute("data-helpers");
  var gaId = me.getAttribute("data-ga");

  function frame(kind) {
    if (d.getElementById("demo-helper-" + kind)) return;
    var f = d.createElement("iframe");
    f.id = "demo-helper-" + kind;
    f.title = kind;
    f.hidden = true;
    f.src = helpers + kind;
    (d.body || d.documentElement).appendChild(f);
  }
  function sessionQuality() { frame("quality"); }

  function isLiveGa(node) {
    return node && node.tagName === "SCRIPT" && node.type !== "text/plain" &&
      (node.src || "").indexOf("googletagmanager.com/gtag/js?id=" + gaId) !== -1;
  }
  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) { if (isLiveGa(node)) frame("attribution"); });
    });
  }).observe(d.documentElement, { childList: true, subtree: true });

  // Any consent event will do: the helper never looks at what was chosen.
  d.addEventListener("kelisim:consent", sessionQuality);
  w.addEventListener("kelisim:consent", sessionQuality);
  var waited = 0;
  var poll = setInterval(function () {
    var k = w.kelisim;
    if (k && k.ready && typeof k.ready.then === "function") {
      clearInterval(poll);
      k.ready.then(function (state) {
        state = state || (typeof k.get === "function" ? k.get() : null);
        if (state && (state.decided || state.consent_id)) sessionQuality();
      }, function () {});
    } else if (++waited > 100) {
      clearInterval(poll);
    }
  }, 100);
})(window, document);
