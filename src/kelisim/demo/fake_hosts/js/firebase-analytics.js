/* Fake Firebase Analytics (compat build) (Kelisim demo; not Google's code).
 * firebase.analytics() registers an installation (IndexedDB firebase-installations-database, store
 * firebase-installations-store; POST to firebaseinstallations.googleapis.com), fetches the app's
 * webConfig from firebase.googleapis.com, then loads gtag.js with the measurement id and sends
 * the installation id as firebase_id: the same _ga cookies and collect hits as GA4. */
(function (w, d) {
  var firebase = (w.firebase = w.firebase || {});
  if (firebase.kelisimAnalytics) return;
  firebase.kelisimAnalytics = true;
  var dl = (w.dataLayer = w.dataLayer || []);
  w.gtag = w.gtag || function () { dl.push(arguments); };

  function idb(name, store, key, value) {
    return new Promise(function (resolve) {
      try {
        var open = w.indexedDB.open(name, 1);
        open.onupgradeneeded = function () { open.result.createObjectStore(store); };
        open.onerror = function () { resolve(null); };
        open.onsuccess = function () {
          var tx = open.result.transaction(store, "readwrite");
          var objects = tx.objectStore(store);
          var result = null;
          if (value === undefined) {
            var get = objects.get(key);
            get.onsuccess = function () { result = get.result || null; };
          } else {
            objects.put(value, key);
          }
          tx.oncomplete = function () { open.result.close(); resolve(result); };
        };
      } catch (e) { resolve(null); }
    });
  }

  function installation(app) {
    var DB = "firebase-installations-database", STORE = "firebase-installations-store";
    var key = app.options.appId;
    return idb(DB, STORE, key).then(function (entry) {
      if (entry && entry.fid) return entry.fid;
      return fetch("https://firebaseinstallations.googleapis.com/v1/projects/" + app.options.projectId + "/installations", {
        method: "POST",
        headers: { "Content-Type": "application/json", "x-goog-api-key": app.options.apiKey || "" },
        body: JSON.stringify({ appId: app.options.appId, authVersion: "FIS_v2", sdkVersion: "w:0.6.5" })
      }).then(function (r) { return r.json(); }).then(function (body) {
        return idb(DB, STORE, key, { fid: body.fid, registrationStatus: 2, refreshToken: body.refreshToken })
          .then(function () { return body.fid; });
      });
    });
  }

  function webConfig(app) {
    return fetch("https://firebase.googleapis.com/v1alpha/projects/-/apps/" + app.options.appId + "/webConfig", {
      headers: { Accept: "application/json", "x-goog-api-key": app.options.apiKey || "" }
    }).then(function (r) { return r.json(); });
  }

  firebase.analytics = function (app) {
    app = app || firebase.app();
    if (app._analytics) return app._analytics;
    var measurementId = app.options.measurementId;
    var instance = {
      app: app,
      logEvent: function (name, params) {
        w.gtag("event", name, Object.assign({}, params || {}, { send_to: measurementId }));
      },
      setAnalyticsCollectionEnabled: function (enabled) { w["ga-disable-" + measurementId] = !enabled; },
      setConsent: function (settings) { w.gtag("consent", "update", settings); },
      setUserId: function (id) { w.gtag("config", measurementId, { user_id: id, update: true }); }
    };
    app._analytics = instance;
    Promise.all([installation(app), webConfig(app)]).then(function (results) {
      measurementId = results[1].measurementId || measurementId;
      w.gtag("js", new Date());
      w.gtag("config", measurementId, { firebase_id: results[0], origin: "firebase", update: true });
      var src = "https://www.googletagmanager.com/gtag/js?id=" + encodeURIComponent(measurementId) + "&l=dataLayer";
      var s = d.createElement("script");
      s.async = true;
      s.src = src;
      d.head.appendChild(s);
    }).catch(function () {});
    return instance;
  };
})(window, document);
