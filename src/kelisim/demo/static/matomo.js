/* Fake self-hosted Matomo tracker (Kelisim demo; not Matomo's code).
 * Processes window._paq like matomo.js: setTrackerUrl, setSiteId, trackPageView, trackEvent,
 * enableLinkTracking, requireConsent / setConsentGiven / rememberConsentGiven / forgetConsentGiven,
 * requireCookieConsent / setCookieConsentGiven, disableCookies, deleteCookies, optUserOut. Cookies
 * are _pk_id.<site>.<hash> (13 months) and _pk_ses.<site>.<hash> (30 minutes), where <hash> is the
 * first four hex digits of SHA-1 over the cookie domain and path, as Matomo names them. Hits are
 * images to matomo.php on the site's own host; on pagehide a ping goes out with sendBeacon. */
(function (w, d) {
  var queue = (w._paq = w._paq || []);
  if (w.Matomo) return;
  var DOMAIN_HASH = "__DOMAIN_HASH__";
  var VISITOR_AGE = 33955200, SESSION_AGE = 1800, FOREVER = 946080000;
  var trackerUrl = null, siteId = null;
  var consentRequired = false, consentGiven = false;
  var cookieConsentRequired = false, cookieConsentGiven = false;
  var cookiesDisabled = false, optedOut = false, tracked = false;
  var waiting = [];
  var visitorId = null, createdAt = Math.floor(Date.now() / 1000);

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name.replace(/\./g, "\\.") + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function cookieName(base) { return "_pk_" + base + "." + siteId + "." + DOMAIN_HASH; }
  function hex(n) { var s = ""; while (s.length < n) s += Math.floor(Math.random() * 16).toString(16); return s; }
  function cookiesAllowed() {
    return !cookiesDisabled && !optedOut && (!cookieConsentRequired || cookieConsentGiven) &&
      (!consentRequired || consentGiven || getCookie("mtm_consent"));
  }
  function visitor() {
    if (!visitorId) {
      var stored = getCookie(cookieName("id"));
      visitorId = stored ? stored.split(".")[0] : hex(16);
      if (stored) createdAt = parseInt(stored.split(".")[1], 10) || createdAt;
    }
    if (cookiesAllowed()) {
      setCookie(cookieName("id"), visitorId + "." + createdAt + ".", VISITOR_AGE);
      setCookie(cookieName("ses"), "1", SESSION_AGE);
    }
    return visitorId;
  }
  function send(params, beacon) {
    if (optedOut || !trackerUrl || !siteId) return;
    if (consentRequired && !consentGiven && !getCookie("mtm_consent")) { waiting.push(params); return; }
    var q = ["idsite=" + encodeURIComponent(siteId), "rec=1", "r=" + hex(6), "_id=" + visitor(),
      "url=" + encodeURIComponent(location.href), "urlref=" + encodeURIComponent(d.referrer),
      "cookie=" + (cookiesAllowed() ? 1 : 0), "send_image=0"];
    for (var key in params) {
      if (Object.prototype.hasOwnProperty.call(params, key)) q.push(key + "=" + encodeURIComponent(params[key]));
    }
    var url = trackerUrl + "?" + q.join("&");
    if (beacon && navigator.sendBeacon) navigator.sendBeacon(url);
    else new Image().src = url;
  }
  function release() {
    var items = waiting; waiting = [];
    for (var i = 0; i < items.length; i++) send(items[i]);
  }

  var tracker = {
    setTrackerUrl: function (url) { trackerUrl = url; },
    setSiteId: function (id) { siteId = String(id); },
    trackPageView: function (title) { tracked = true; send({ action_name: title || d.title }); },
    trackEvent: function (category, action, name) { send({ e_c: category, e_a: action, e_n: name || "" }); },
    enableLinkTracking: function () {},
    requireConsent: function () { consentRequired = true; },
    setConsentGiven: function () { consentGiven = true; release(); },
    rememberConsentGiven: function (hours) {
      consentGiven = true;
      setCookie("mtm_consent", String(Date.now()), hours ? hours * 3600 : FOREVER);
      release();
    },
    forgetConsentGiven: function () {
      consentGiven = false;
      setCookie("mtm_consent", "", 0);
      setCookie("mtm_consent_removed", String(Date.now()), FOREVER);
      tracker.deleteCookies();
    },
    requireCookieConsent: function () { cookieConsentRequired = true; },
    setCookieConsentGiven: function () { cookieConsentGiven = true; visitor(); },
    rememberCookieConsentGiven: function (hours) {
      cookieConsentGiven = true;
      setCookie("mtm_cookie_consent", String(Date.now()), hours ? hours * 3600 : FOREVER);
      visitor();
    },
    forgetCookieConsentGiven: function () {
      cookieConsentGiven = false;
      setCookie("mtm_cookie_consent", "", 0);
      tracker.deleteCookies();
    },
    disableCookies: function () { cookiesDisabled = true; tracker.deleteCookies(); },
    deleteCookies: function () { setCookie(cookieName("id"), "", 0); setCookie(cookieName("ses"), "", 0); },
    optUserOut: function () { optedOut = true; tracker.deleteCookies(); },
    forgetUserOptOut: function () { optedOut = false; },
    getVisitorId: function () { return visitor(); }
  };

  function apply(call) {
    if (!call || !call.length) return;
    var fn = typeof call[0] === "function" ? call[0] : tracker[call[0]];
    if (typeof fn === "function") fn.apply(tracker, [].slice.call(call, 1));
  }
  var queued = queue.slice();
  queue.push = function () {
    for (var i = 0; i < arguments.length; i++) apply(arguments[i]);
    return queue.length;
  };
  // Matomo applies configuration calls before tracking calls, whatever their order in the queue.
  var configFirst = ["setTrackerUrl", "setSiteId", "requireConsent", "requireCookieConsent", "disableCookies"];
  for (var i = 0; i < queued.length; i++) if (configFirst.indexOf(queued[i][0]) !== -1) apply(queued[i]);
  for (var j = 0; j < queued.length; j++) if (configFirst.indexOf(queued[j][0]) === -1) apply(queued[j]);
  w.Matomo = w.Piwik = {
    initialized: true,
    getTracker: function () { return tracker; },
    getAsyncTracker: function () { return tracker; }
  };
  w.addEventListener("pagehide", function () { if (tracked) send({ ping: 1 }, true); });
})(window, document);
