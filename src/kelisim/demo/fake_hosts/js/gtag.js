/* Fake gtag.js for GA4 (Kelisim demo; not Google's code).
 * Processes the dataLayer like the real library: consent default/update (Consent Mode v2), config,
 * event. With analytics_storage granted it sets _ga (GA1.1.<rand>.<ts>) and _ga_<id without "G-">
 * for two years and sends hits with gcs=G111; denied, it sends cookieless pings with gcs=G100 and
 * writes nothing. `window["ga-disable-<id>"] = true` stops it. On pagehide it sends a
 * user_engagement hit with sendBeacon. */
(function (w, d) {
  var data = (w.google_tag_data = w.google_tag_data || {});
  if (data.kelisimGtag) return;
  data.kelisimGtag = true;
  var TWO_YEARS = 63072000;
  var dl = (w.dataLayer = w.dataLayer || []);
  w.gtag = w.gtag || function () { dl.push(arguments); };
  // Google's default when a site sets no consent default is "granted".
  var consent = { analytics_storage: "granted", ad_storage: "granted" };
  data.ics = { entries: consent };
  var configs = {};
  var engaged = {};

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name.replace(/[.$?*|{}()\[\]\\\/+^]/g, "\\$&") + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function seconds() { return Math.floor(Date.now() / 1000); }
  function granted() { return consent.analytics_storage === "granted"; }
  function suffix(id) { return id.replace(/^G-/, ""); }

  function ensureCookies(id) {
    var ga = getCookie("_ga");
    if (!ga) {
      ga = "GA1.1." + Math.floor(Math.random() * 2147483647) + "." + seconds();
      setCookie("_ga", ga, TWO_YEARS);
    }
    var name = "_ga_" + suffix(id);
    var session = getCookie(name);
    if (!session) {
      session = "GS1.1." + seconds() + ".1.0." + seconds() + ".0.0.0";
    }
    setCookie(name, session, TWO_YEARS);
    return { cid: ga.split(".").slice(2).join("."), sid: session.split(".")[2] };
  }

  function hit(id, name, params, beacon) {
    if (w["ga-disable-" + id]) return;
    var q = ["v=2", "tid=" + encodeURIComponent(id), "gtm=45je0", "_p=" + Date.now(),
      "gcs=" + (granted() ? "G111" : "G100"), "en=" + encodeURIComponent(name),
      "dl=" + encodeURIComponent(location.href), "dt=" + encodeURIComponent(d.title),
      "ul=" + encodeURIComponent(navigator.language || "")];
    if (granted()) {
      var ids = ensureCookies(id);
      q.push("cid=" + ids.cid, "sid=" + ids.sid);
    }
    var extra = params || {};
    for (var key in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, key) && key !== "send_to") {
        q.push("ep." + encodeURIComponent(key) + "=" + encodeURIComponent(String(extra[key])));
      }
    }
    var host = beacon ? "www.google-analytics.com" : "region1.google-analytics.com";
    var url = "https://" + host + "/g/collect?" + q.join("&");
    engaged[id] = true;
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(url);
    } else {
      fetch(url, { method: "POST", mode: "no-cors", credentials: "include", keepalive: true })
        .catch(function () {});
    }
  }

  function process(item) {
    if (!item || typeof item !== "object" || typeof item[0] !== "string") return;
    var command = item[0];
    if (command === "consent" && item[2]) {
      var before = granted();
      for (var key in item[2]) { if (Object.prototype.hasOwnProperty.call(item[2], key)) consent[key] = item[2][key]; }
      if (item[1] === "update" && !before && granted()) {
        for (var id in configs) { if (Object.prototype.hasOwnProperty.call(configs, id)) hit(id, "page_view", configs[id]); }
      }
    } else if (command === "config" && typeof item[1] === "string") {
      configs[item[1]] = item[2] || {};
      if (!(item[2] && item[2].send_page_view === false)) hit(item[1], "page_view", item[2]);
    } else if (command === "event" && typeof item[1] === "string") {
      var target = item[2] && item[2].send_to;
      for (var cid in configs) {
        if (Object.prototype.hasOwnProperty.call(configs, cid) && (!target || target === cid)) hit(cid, item[1], item[2]);
      }
    } else if (command === "get" && typeof item[3] === "function") {
      var c = getCookie("_ga");
      item[3](c ? c.split(".").slice(2).join(".") : undefined);
    }
  }

  var queued = dl.slice();
  var push = dl.push;
  dl.push = function () {
    var result = push.apply(dl, arguments);
    for (var i = 0; i < arguments.length; i++) process(arguments[i]);
    return result;
  };
  for (var i = 0; i < queued.length; i++) process(queued[i]);

  w.addEventListener("pagehide", function () {
    for (var id in engaged) { if (Object.prototype.hasOwnProperty.call(engaged, id)) hit(id, "user_engagement", {}, true); }
  });
})(window, document);
