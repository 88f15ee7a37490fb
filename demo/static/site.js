/* The demo site's own script (necessary, runs without consent): opens Kelisim's settings from the
 * "Cookie settings" links, and puts JuicyScore's session id into the application form when that
 * vendor was granted and reports a session. */
(function (w, d) {
  d.addEventListener("click", function (event) {
    var target = event.target && event.target.closest && event.target.closest("[data-kelisim-show]");
    if (!target) return;
    event.preventDefault();
    if (w.kelisim && typeof w.kelisim.show === "function") w.kelisim.show();
  });
  w.addEventListener("sessionready", function (event) {
    var field = d.getElementById("juicy-session-id");
    if (field && event.detail) field.value = event.detail.sessionId;
  });
})(window, document);
