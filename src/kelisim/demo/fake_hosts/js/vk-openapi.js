/* Fake VK openapi.js, retargeting part (Kelisim demo; not VK's code).
 * Defines VK.Retargeting (Init, Hit, Event, Add, ProductEvent) and VK.Pixel; every call is a 1x1
 * image to vk.com/rtrg, whose answer sets the third-party remixstid. No first-party cookie, as
 * observed for the real script. Calls window.vkAsyncInit when the page defined it. */
(function (w) {
  var VK = (w.VK = w.VK || {});
  if (VK.Retargeting && VK.Retargeting.kelisim) return;

  function rtrg(code, params) {
    if (!code) return;
    var q = ["p=" + encodeURIComponent(code)];
    for (var key in params) {
      if (Object.prototype.hasOwnProperty.call(params, key)) q.push(key + "=" + encodeURIComponent(params[key]));
    }
    q.push("_=" + Date.now());
    new Image().src = "https://vk.com/rtrg?" + q.join("&");
  }

  VK.Retargeting = {
    kelisim: true,
    code: null,
    Init: function (code) { this.code = code; },
    Hit: function () { rtrg(this.code, {}); },
    Event: function (name) { rtrg(this.code, { event: name }); },
    Add: function (audience) { rtrg(this.code, { audience: audience }); },
    ProductEvent: function (priceList, event, params) {
      rtrg(this.code, { products_event: event, price_list_id: priceList, e: JSON.stringify(params || {}) });
    }
  };
  VK.Pixel = function (code) { this.code = code; };
  VK.Pixel.prototype.Hit = function () { rtrg(this.code, {}); };
  VK.Pixel.prototype.Event = function (name) { rtrg(this.code, { event: name }); };
  if (typeof w.vkAsyncInit === "function") setTimeout(w.vkAsyncInit, 0);
})(window);
