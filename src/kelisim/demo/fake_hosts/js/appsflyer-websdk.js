/* Fake AppsFlyer Web SDK, PBA plugin (Kelisim demo; not AppsFlyer's code).
 * Replaces the AF queue (entries [timestamp, plugin, method, params] in AF.q, config in AF.id),
 * sets afUserId (UUID + "-p", 2 years) and AF_SYNC (7 days), and posts a pageview and every
 * AF("pba", "event", …) to wa.appsflyer.com/events. */
(function (w, d) {
  var name = w.AppsFlyerSdkObject || "AF";
  var stub = w[name] || {};
  if (stub.kelisimSdk) return;
  var config = stub.id || {};
  var queue = stub.q || [];
  var TWO_YEARS = 63072000;
  var customerUserId = null;

  function getCookie(key) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + key + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(key, value, maxAge) {
    d.cookie = key + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function uuid() {
    return w.crypto && w.crypto.randomUUID ? w.crypto.randomUUID()
      : "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx".replace(/x/g, function () { return (Math.random() * 16 | 0).toString(16); });
  }

  var webAppId = config.pba && config.pba.webAppId;
  var userId = null;

  function post(eventType, params) {
    if (!webAppId) return;
    var body = { af_id: userId, web_app_id: webAppId, event_type: eventType,
      url: location.href, referrer: d.referrer, customer_user_id: customerUserId,
      timestamp: Date.now(), params: params || {} };
    fetch("https://wa.appsflyer.com/events?site-id=" + encodeURIComponent(webAppId), {
      method: "POST", credentials: "include", keepalive: true, body: JSON.stringify(body)
    }).catch(function () {});
  }

  function start() {
    if (!webAppId) return;
    userId = getCookie("afUserId") || uuid() + "-p";
    setCookie("afUserId", userId, TWO_YEARS);
    setCookie("AF_SYNC", String(Date.now()), 604800);
    post("PAGEVIEW");
  }

  function AF(plugin, method, params) {
    if (plugin !== "pba") return;
    if (method === "event") post((params && params.eventType) || "EVENT", params);
    else if (method === "setCustomerUserId") customerUserId = params;
  }
  AF.kelisimSdk = true;
  AF.id = config;
  AF.plugins = stub.plugins || {};
  w[name] = AF;
  start();
  for (var i = 0; i < queue.length; i++) AF.apply(null, [].slice.call(queue[i], 1));
})(window, document);
