/* Fake JuicyScore device-scoring script (Kelisim demo; not Juicy Labs' code).
 * Reads window.juicyLabConfig, defines juicyScoreApi (getSessionId, getCompletedSessionId, restart)
 * and jslabApi (manuallyComplete, manuallyStopPing), collects a device fingerprint (screen,
 * time zone, languages, hardware, a canvas hash) and posts it to score.juicyscore.com/savedata/,
 * then fires the window event "sessionready". The vendor publishes no cookie or storage names,
 * so none are written here. */
(function (w, d) {
  if (w.juicyScoreApi && w.juicyScoreApi.kelisim) return;
  var config = w.juicyLabConfig || {};
  var sessionId = null;
  var completed = false;

  function newSession() {
    var rand = w.crypto && w.crypto.randomUUID ? w.crypto.randomUUID() : String(Math.random()).slice(2);
    sessionId = "w-" + rand;
  }
  function canvasHash() {
    try {
      var canvas = d.createElement("canvas");
      canvas.width = 120; canvas.height = 30;
      var ctx = canvas.getContext("2d");
      ctx.font = "14px Arial";
      ctx.fillText("Kelisim demo \u2713", 2, 18);
      var data = canvas.toDataURL();
      var hash = 0;
      for (var i = 0; i < data.length; i++) hash = (hash * 31 + data.charCodeAt(i)) | 0;
      return String(hash >>> 0);
    } catch (e) { return "na"; }
  }
  function save(stage) {
    var fields = {
      apiKey: config.apiKey || "", session_id: sessionId, stage: stage, isJs: "1",
      screen: screen.width + "x" + screen.height + "x" + screen.colorDepth,
      tz: String(new Date().getTimezoneOffset()), lang: (navigator.languages || []).join(","),
      cores: String(navigator.hardwareConcurrency || 0), touch: String(navigator.maxTouchPoints || 0),
      canvas: canvasHash(), url: location.href
    };
    var body = new URLSearchParams(fields).toString();
    fetch("https://score.juicyscore.com/savedata/", {
      method: "POST", mode: "no-cors", credentials: "include", keepalive: true,
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body
    }).catch(function () {});
  }
  function start() {
    newSession();
    save("start");
    w.dispatchEvent(new CustomEvent("sessionready", { detail: { sessionId: sessionId } }));
  }
  function complete() {
    if (completed) return;
    completed = true;
    save("complete");
  }

  w.juicyScoreApi = {
    kelisim: true,
    getSessionId: function () { return Promise.resolve(sessionId); },
    getCompletedSessionId: function (timeout) {
      complete();
      return new Promise(function (resolve) { setTimeout(function () { resolve(sessionId); }, Math.min(timeout || 0, 300)); });
    },
    restart: function () { completed = false; start(); }
  };
  w.jslabApi = { manuallyComplete: new EventTarget(), manuallyStopPing: new EventTarget() };
  w.jslabApi.manuallyComplete.addEventListener("complete", complete);
  if (config.completeButton) {
    d.addEventListener("click", function (event) {
      if (event.target && event.target.closest && event.target.closest(config.completeButton)) complete();
    }, true);
  }
  start();
})(window, document);
