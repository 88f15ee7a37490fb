/* Fake Amplitude Browser SDK 2 (Kelisim demo; not Amplitude's code).
 * Replaces the snippet's stub (calls queued in amplitude._q as {name, args}). init(key, options)
 * tests cookies with AMP_TEST_<ts> and AMP_TLDTEST_<ts> (removed at once), then keeps the identity
 * in AMP_<first 10 of key> and campaign data in AMP_MKTG_<first 10> (365 days), queues events in
 * localStorage AMP_unsent_<first 10>, opens IndexedDB AMP_diagnostics_<first 10>, and posts to
 * api2.amplitude.com/2/httpapi. optOut / setOptOut(true) stop it; identityStorage "none" keeps no
 * identity. Unsent events are flushed with sendBeacon on pagehide. */
(function (w, d) {
  var stub = w.amplitude || {};
  if (stub.kelisimSdk) return;
  var queue = stub._q || [];
  var YEAR = 31536000;
  var state = null;

  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function encode(obj) { return btoa(encodeURIComponent(JSON.stringify(obj))); }
  function decode(text) { try { return JSON.parse(decodeURIComponent(atob(text))); } catch (e) { return null; } }
  function uuid() {
    return w.crypto && w.crypto.randomUUID ? w.crypto.randomUUID() : String(Math.random()).slice(2);
  }
  function unsentKey() { return "AMP_unsent_" + state.key10; }
  function saveUnsent() { try { w.localStorage.setItem(unsentKey(), JSON.stringify(state.unsent)); } catch (e) {} }

  function persist() {
    if (state.options.identityStorage === "none") return;
    state.identity.lastEventTime = Date.now();
    setCookie("AMP_" + state.key10, encode(state.identity), YEAR);
  }

  function diagnostics() {
    try {
      var open = w.indexedDB.open("AMP_diagnostics_" + state.key10, 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("diagnostics", { keyPath: "key" }); };
      open.onsuccess = function () {
        var tx = open.result.transaction("diagnostics", "readwrite");
        tx.objectStore("diagnostics").put({ key: "internal", sdk: "kelisim-fake-2", at: Date.now() });
        tx.oncomplete = function () { open.result.close(); };
      };
    } catch (e) {}
  }

  function flush(beacon) {
    if (!state || state.optOut || !state.unsent.length) return;
    var body = JSON.stringify({ api_key: state.key, events: state.unsent, options: {} });
    var url = "https://api2.amplitude.com/2/httpapi";
    state.unsent = [];
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
      saveUnsent();
      return;
    }
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: body, keepalive: true })
      .then(function () { saveUnsent(); }, function () {});
  }

  function track(eventType, properties) {
    if (!state || state.optOut) return;
    state.unsent.push({ event_type: eventType, event_properties: properties || {},
      device_id: state.identity.deviceId, session_id: state.identity.sessionId,
      user_id: state.identity.userId, time: Date.now(), insert_id: uuid(), library: "kelisim-fake/2" });
    saveUnsent();
    persist();
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { flush(false); }, 300);
  }

  var api = {
    kelisimSdk: true,
    init: function (key, userIdOrOptions, maybeOptions) {
      if (state) return;
      var options = (typeof userIdOrOptions === "object" && userIdOrOptions) || maybeOptions || {};
      var key10 = String(key).slice(0, 10);
      state = { key: key, key10: key10, options: options, optOut: !!options.optOut, unsent: [], timer: null };
      var stored = decode(getCookie("AMP_" + key10) || "") || {};
      state.identity = { deviceId: stored.deviceId || uuid(), sessionId: Date.now(), optOut: state.optOut,
        userId: typeof userIdOrOptions === "string" ? userIdOrOptions : stored.userId };
      if (state.optOut) return;
      if (options.identityStorage !== "none") {
        var ts = Date.now();
        // The SDK's cookie checks: session cookies, removed at once.
        d.cookie = "AMP_TEST_" + ts + "=1; path=/; samesite=lax";
        setCookie("AMP_TEST_" + ts, "", 0);
        d.cookie = "AMP_TLDTEST_" + ts + "=1; path=/; samesite=lax";
        setCookie("AMP_TLDTEST_" + ts, "", 0);
        persist();
        setCookie("AMP_MKTG_" + key10, encode({ referrer: d.referrer || undefined,
          referring_domain: d.referrer ? new URL(d.referrer).hostname : undefined }), YEAR);
      }
      diagnostics();
      track("session_start");
      track("[Amplitude] Page Viewed", { "[Amplitude] Page URL": location.href, "[Amplitude] Page Title": d.title });
    },
    track: function (eventType, properties) { track(eventType, properties); },
    logEvent: function (eventType, properties) { track(eventType, properties); },
    setUserId: function (userId) { if (state) { state.identity.userId = userId; persist(); } },
    identify: function () {},
    setGroup: function () {},
    reset: function () { if (state) { state.identity.deviceId = uuid(); persist(); } },
    setOptOut: function (optOut) {
      if (!state) return;
      state.optOut = !!optOut;
      state.identity.optOut = state.optOut;
      if (!state.optOut) persist();
    },
    flush: function () { flush(false); }
  };
  w.amplitude = api;
  for (var i = 0; i < queue.length; i++) {
    var call = queue[i];
    if (call && api[call.name]) api[call.name].apply(null, call.args || []);
  }
  w.addEventListener("pagehide", function () { flush(true); });
})(window, document);
