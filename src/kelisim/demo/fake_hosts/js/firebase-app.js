/* Fake Firebase JS SDK, app (compat build) (Kelisim demo; not Google's code).
 * firebase.initializeApp(config) registers the app and writes the heartbeat record to IndexedDB
 * firebase-heartbeat-database (store firebase-heartbeat-store), as the real SDK does. */
(function (w) {
  var firebase = (w.firebase = w.firebase || {});
  if (firebase.kelisimApp) return;
  firebase.kelisimApp = true;
  firebase.SDK_VERSION = "10.10.0";
  firebase.apps = firebase.apps || [];

  function heartbeat(app) {
    try {
      var open = w.indexedDB.open("firebase-heartbeat-database", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("firebase-heartbeat-store"); };
      open.onsuccess = function () {
        var tx = open.result.transaction("firebase-heartbeat-store", "readwrite");
        tx.objectStore("firebase-heartbeat-store").put(
          { heartbeats: [{ agent: "fire-core/10.10.0 fire-js/", date: new Date().toISOString().slice(0, 10) }] },
          (app.options.appId || "app") + "-" + app.name);
        tx.oncomplete = function () { open.result.close(); };
      };
    } catch (e) {}
  }

  firebase.initializeApp = function (options, name) {
    var app = { name: name || "[DEFAULT]", options: options || {} };
    firebase.apps.push(app);
    heartbeat(app);
    return app;
  };
  firebase.app = function (name) {
    for (var i = 0; i < firebase.apps.length; i++) {
      if (firebase.apps[i].name === (name || "[DEFAULT]")) return firebase.apps[i];
    }
    throw new Error("No Firebase App '" + (name || "[DEFAULT]") + "' has been created");
  };
})(window);
