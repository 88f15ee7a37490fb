/* Fake Google Tag Manager container __CONTAINER__ (Kelisim demo; not Google's code).
 * Like a real container it reads the page's dataLayer, fires its tags and pushes its lifecycle
 * events. Its one tag is a Custom HTML tag with Yandex Metrica's generator snippet, inserted
 * dynamically, as real containers insert tags: a consent manager must stop this insertion when
 * Metrica was not granted even though the container itself was. The container sets no cookie. */
(function (w, d) {
  var id = "__CONTAINER__";
  var dl = (w.dataLayer = w.dataLayer || []);
  w.google_tag_manager = w.google_tag_manager || {};
  if (w.google_tag_manager[id]) return;
  w.google_tag_manager[id] = { dataLayer: { name: "dataLayer" }, fake: "kelisim-demo" };

  function customHtmlYandexMetrica() {
    (function (m, e, t, r, i, k, a) {
      m[i] = m[i] || function () { (m[i].a = m[i].a || []).push(arguments); };
      m[i].l = 1 * new Date();
      for (var j = 0; j < e.scripts.length; j++) { if (e.scripts[j].src === r) { return; } }
      k = e.createElement(t); a = e.getElementsByTagName(t)[0];
      k.async = 1; k.src = r; a.parentNode.insertBefore(k, a);
    })(w, d, "script", "https://mc.yandex.ru/metrika/tag.js?id=__COUNTER__", "ym");
    w.ym(__COUNTER__, "init", { clickmap: true, trackLinks: true, accurateTrackBounce: true });
  }

  customHtmlYandexMetrica();
  dl.push({ event: "gtm.dom", "gtm.uniqueEventId": dl.length });
  if (d.readyState === "complete") {
    dl.push({ event: "gtm.load" });
  } else {
    w.addEventListener("load", function () { dl.push({ event: "gtm.load" }); });
  }
})(window, document);
