/* PLANTED VIOLATION U06 (demo/unsafe_plan.py): a "partner" script that sets a fingerprint cookie
 * no vendor declares, before any choice. Only the unsafe twin loads it. */
(function (d) {
  if (/(?:^|; )_demo_fp=/.test(d.cookie)) return;
  var id = "";
  while (id.length < 24) id += Math.floor(Math.random() * 16).toString(16);
  d.cookie = "_demo_fp=" + id + "; path=/; max-age=31536000; samesite=lax";
})(document);
