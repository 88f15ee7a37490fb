/* The demo site's own script (necessary, runs without consent): puts JuicyScore's session id into
 * the application form when that vendor was granted and reports a session. (The "Cookie settings"
 * links carry data-kelisim-show, which cmp.js itself turns into "open the banner".) */
(function (w, d) {
  w.addEventListener("sessionready", function (event) {
    var field = d.getElementById("juicy-session-id");
    if (field && event.detail) field.value = event.detail.sessionId;
  });
})(window, document);
