/* Fake Flocktory loader.js (Kelisim demo; not Flocktory's code).
 * Keeps the window.flocktory queue, sets flocktory-uuid (UUID + "-<n>", about 333 days), reads the
 * hidden .i-flocktory user element, asks api.flocktory.com/u_shaman/setup-api for campaigns,
 * loads the /underworld/tracks tracking image, and opens the provider.html frame unless the page
 * already has it. Storage key names of the real loader are unknown, so none are written. */
(function (w, d) {
  var queue = (w.flocktory = w.flocktory || []);
  if (queue.kelisimLoader) return;
  queue.kelisimLoader = true;
  var script = d.currentScript;
  var siteId = "";
  try { siteId = new URL(script ? script.src : "https://x/").searchParams.get("site_id") || ""; } catch (e) {}

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  var uuid = getCookie("flocktory-uuid");
  if (!uuid) {
    var base = w.crypto && w.crypto.randomUUID ? w.crypto.randomUUID() : String(Math.random()).slice(2);
    uuid = base + "-" + (1 + Math.floor(Math.random() * 9));
  }
  d.cookie = "flocktory-uuid=" + uuid + "; path=/; max-age=28771200; samesite=lax";

  function track(event, data) {
    var q = ["site_id=" + encodeURIComponent(siteId), "uuid=" + encodeURIComponent(uuid),
      "event=" + encodeURIComponent(event), "url=" + encodeURIComponent(location.href)];
    if (data) q.push("data=" + encodeURIComponent(JSON.stringify(data)));
    new Image().src = "https://api.flocktory.com/underworld/tracks/ultimate.js?" + q.join("&");
  }

  var user = d.querySelector(".i-flocktory");
  var email = user ? user.getAttribute("data-fl-user-email") || "" : "";
  fetch("https://api.flocktory.com/u_shaman/setup-api?site_id=" + encodeURIComponent(siteId) +
    "&uuid=" + encodeURIComponent(uuid) + (email ? "&email=" + encodeURIComponent(email) : ""),
    { credentials: "include" }).catch(function () {});
  track("visit");

  var frames = d.querySelectorAll("iframe");
  var hasProvider = false;
  for (var i = 0; i < frames.length; i++) {
    if ((frames[i].src || "").indexOf("api.flocktory.com/v2/provider/provider.html") !== -1) hasProvider = true;
  }
  if (!hasProvider) {
    var frame = d.createElement("iframe");
    frame.src = "https://api.flocktory.com/v2/provider/provider.html?site_id=" + encodeURIComponent(siteId);
    frame.hidden = true;
    frame.title = "flocktory";
    (d.body || d.documentElement).appendChild(frame);
  }

  var queued = queue.slice();
  queue.push = function () {
    for (var j = 0; j < arguments.length; j++) {
      var item = arguments[j];
      if (Array.isArray(item)) track(String(item[0]), item[1]);
    }
    return queue.length;
  };
  for (var k = 0; k < queued.length; k++) queue.push(queued[k]);
})(window, document);
