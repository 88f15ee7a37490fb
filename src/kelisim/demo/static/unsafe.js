/* PLANTED VIOLATIONS U04, U05 (demo/unsafe_plan.py). Only the unsafe twin loads this file.
 * The page carries two hidden frames of the site's own that do not load Kelisim (a common way
 * trackers slip past a consent manager); the server picks what they load from the consent cookie
 * (demo/site.py, helper). When the visitor's answer changes on this page, the frames are reloaded so
 * the server sees the new cookie at once: it never looks at what was chosen for which vendor. */
(function (w, d) {
  var KINDS = ["quality", "attribution"];
  function consentCookie() {
    var m = d.cookie.match(/(?:^|;\s*)kelisim_consent=([^;]*)/);
    return m ? m[1] : "";
  }
  var seen = consentCookie();
  d.addEventListener("kelisim:consent", function () {
    var now = consentCookie();
    if (now === seen) return;
    seen = now;
    KINDS.forEach(function (kind) {
      var frame = d.getElementById("demo-helper-" + kind);
      if (frame && frame.contentWindow) frame.contentWindow.location.replace(frame.getAttribute("src"));
    });
  });
})(window, document);
