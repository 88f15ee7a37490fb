/* Fake Microsoft Clarity client (Kelisim demo; not Microsoft's code).
 * Processes clarity.q, then answers clarity("consentv2", {ad_Storage, analytics_Storage}),
 * clarity("consent"[, false]), "identify", "set", "event". With analytics storage granted (the
 * project default outside the EEA) it sets _clck (1 year) and _clsk (1 day, ending in the upload
 * host) and the per-tab sessionStorage key _cltk; denied, it deletes them and runs cookieless.
 * Uploads go to k.clarity.ms/collect (the last one with sendBeacon on pagehide), and the first
 * visit loads the c.clarity.ms/c.gif sync pixel that carries the third-party MUID. */
(function (w, d) {
  var queue = (w.clarity && w.clarity.q) || [];
  if (w.clarity && w.clarity.kelisimClient) return;
  var projectId = (w.clarity && w.clarity.projectId) || "unknown";
  var COLLECT = "k.clarity.ms/collect";
  var cookies = true;
  var pending = [];
  var timer = null;
  var synced = false;

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function id() { return Math.random().toString(36).slice(2, 9); }
  function seconds() { return Math.floor(Date.now() / 1000); }

  var userId = id();
  var sessionId = id();
  var pageNum = 1;

  function writeCookies() {
    var clck = getCookie("_clck");
    if (clck) userId = decodeURIComponent(clck).split("|")[0];
    setCookie("_clck", encodeURIComponent(userId + "|2|f" + seconds().toString(36) + "|0|" + seconds()), 31536000);
    var clsk = getCookie("_clsk");
    if (clsk) {
      var parts = decodeURIComponent(clsk).split("|");
      sessionId = parts[0];
      pageNum = (parseInt(parts[2], 10) || 0) + 1;
    }
    setCookie("_clsk", encodeURIComponent(sessionId + "|" + Date.now() + "|" + pageNum + "|1|" + COLLECT), 86400);
    try {
      if (!w.sessionStorage.getItem("_cltk")) w.sessionStorage.setItem("_cltk", id());
    } catch (e) {}
  }
  function clearCookies() {
    setCookie("_clck", "", 0);
    setCookie("_clsk", "", 0);
  }

  function upload(beacon) {
    var body = JSON.stringify({ e: [projectId, userId, sessionId, pageNum, cookies ? 1 : 0, location.href], a: pending });
    pending = [];
    var url = "https://" + COLLECT;
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(url, body); return; }
    fetch(url, { method: "POST", mode: "no-cors", credentials: "include", keepalive: true, body: body })
      .catch(function () {});
  }
  function later(event) {
    pending.push(event);
    clearTimeout(timer);
    timer = setTimeout(function () { upload(false); }, 500);
  }
  function sync() {
    if (synced || !cookies) return;
    synced = true;
    new Image().src = "https://c.clarity.ms/c.gif?ctsa=mr&CtsSyncId=" + id();
  }

  function consent(analyticsGranted) {
    cookies = analyticsGranted;
    if (cookies) { writeCookies(); sync(); } else { clearCookies(); }
    later([Date.now(), "consent", analyticsGranted ? 1 : 0]);
  }

  var api = {
    consentv2: function (signal) { consent(!signal || signal.analytics_Storage !== "denied"); },
    consent: function (value) { consent(value !== false); },
    identify: function (customId) { later([Date.now(), "identify", String(customId)]); },
    set: function (key, value) { later([Date.now(), "set", key, value]); },
    event: function (name) { later([Date.now(), "event", name]); },
    upgrade: function () {}
  };
  function clarity(method) {
    var fn = api[method];
    if (fn) fn.apply(null, [].slice.call(arguments, 1));
  }
  clarity.kelisimClient = true;
  clarity.projectId = projectId;
  clarity.v = w.clarity && w.clarity.v;
  w.clarity = clarity;

  writeCookies();
  later([Date.now(), "page", location.href]);
  sync();
  for (var i = 0; i < queue.length; i++) clarity.apply(null, queue[i]);
  w.addEventListener("pagehide", function () { pending.push([Date.now(), "unload"]); upload(true); });
})(window, document);
