/* Fake Top.Mail.Ru code.js, also the VK Ads / myTarget pixel (Kelisim demo; not VK's code).
 * Replaces _tmr.push; a pageView sets tmr_lvid and tmr_lvidTS (about 333 days) and tmr_detect
 * (1 day) and loads the /counter image, whose answer sets the third-party VID; reachGoal loads
 * /tracker. Like the real script it also loads /js/dyn-goal-config.js. */
(function (w, d) {
  var _tmr = (w._tmr = w._tmr || []);
  if (_tmr.kelisimCode) return;
  _tmr.kelisimCode = true;
  var LVID_AGE = 28771200; // ~333 days, as declared

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function hex(n) { var s = ""; while (s.length < n) s += Math.floor(Math.random() * 16).toString(16); return s; }
  function image(path, params) {
    new Image().src = "https://top-fwz1.mail.ru/" + path + "?" + params.join(";") + ";_=" + Math.random();
  }

  function pageView(item) {
    var lvid = getCookie("tmr_lvid") || hex(32);
    setCookie("tmr_lvid", lvid, LVID_AGE);
    setCookie("tmr_lvidTS", getCookie("tmr_lvidTS") || String(Date.now()), LVID_AGE);
    setCookie("tmr_detect", "0%7C" + Date.now(), 86400);
    image("counter", ["id=" + item.id, "js=13", "e=RG%3A/", "u=" + encodeURIComponent(item.url || location.href),
      "r=" + encodeURIComponent(d.referrer), "lvid=" + lvid, "st=" + (item.start || Date.now())]);
  }
  function reachGoal(item) {
    image("tracker", ["id=" + item.id, "e=RG%3A" + (item.value || 0) + "/" + encodeURIComponent(item.goal || ""),
      "lvid=" + (getCookie("tmr_lvid") || "")]);
  }
  function handle(item) {
    if (!item || typeof item !== "object") return;
    if (item.type === "pageView") pageView(item);
    else if (item.type === "reachGoal") reachGoal(item);
  }

  var queued = _tmr.slice();
  _tmr.push = function () {
    for (var i = 0; i < arguments.length; i++) handle(arguments[i]);
    return _tmr.length;
  };
  for (var i = 0; i < queued.length; i++) handle(queued[i]);
  var goals = d.createElement("script");
  goals.async = true;
  goals.src = "https://top-fwz1.mail.ru/js/dyn-goal-config.js";
  d.head.appendChild(goals);
})(window, document);
