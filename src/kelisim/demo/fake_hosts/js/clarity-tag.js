/* Fake Microsoft Clarity tag bootstrap for project __PROJECT__ (Kelisim demo; not Microsoft's code).
 * As the real www.clarity.ms/tag/<id>, it keeps the page's clarity() queue and loads the versioned
 * client from scripts.clarity.ms. */
(function (w, d) {
  var c = (w.clarity = w.clarity || function () { (w.clarity.q = w.clarity.q || []).push(arguments); });
  c.projectId = "__PROJECT__";
  c.v = "__VERSION__";
  var s = d.createElement("script");
  s.async = true;
  s.src = "https://scripts.clarity.ms/__VERSION__/clarity.js";
  var first = d.getElementsByTagName("script")[0];
  if (first && first.parentNode) first.parentNode.insertBefore(s, first);
  else d.head.appendChild(s);
})(window, document);
