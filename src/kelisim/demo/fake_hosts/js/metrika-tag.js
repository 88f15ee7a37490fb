/* Fake Yandex Metrica tag.js (Kelisim demo; not Yandex's code).
 * Replaces the `ym` queue with the real API (init, hit, reachGoal, getClientID, setUserID,
 * userParams), honours window["disableYaCounter<id>"], sets the first-party cookies _ym_uid and
 * _ym_d (1 year), _ym_isad (20 h), _ym_visorc (30 min, with webvisor), copies the ClientID to
 * localStorage (_ym_uid, plus _ym<id>_lsid and _ym<id>_lastHit), and sends hits to
 * mc.yandex.ru/watch/<id> (whose answer sets the third-party yandexuid). Webvisor posts to
 * /webvisor/<id>; on pagehide a last hit goes out with sendBeacon. */
(function (w, d) {
  if (w.ym && w.ym.kelisimTag) return;
  var YEAR = 31536000;
  var queue = (w.ym && w.ym.a) || [];
  var counters = {};

  function getCookie(name) {
    var m = d.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? m[1] : null;
  }
  function setCookie(name, value, maxAge) {
    d.cookie = name + "=" + value + "; path=/; max-age=" + maxAge + "; samesite=lax";
  }
  function store(key, value) { try { w.localStorage.setItem(key, value); } catch (e) {} }
  function read(key) { try { return w.localStorage.getItem(key); } catch (e) { return null; } }
  function seconds() { return Math.floor(Date.now() / 1000); }

  function clientId() {
    var uid = getCookie("_ym_uid");
    if (!uid) {
      try { uid = JSON.parse(read("_ym_uid") || "null"); } catch (e) { uid = null; }
    }
    if (!uid) uid = String(seconds()) + String(Math.floor(Math.random() * 1e9));
    setCookie("_ym_uid", uid, YEAR);
    store("_ym_uid", JSON.stringify(uid));
    if (!getCookie("_ym_d")) setCookie("_ym_d", String(seconds()), YEAR);
    return uid;
  }

  function send(path, id, params, beacon) {
    var q = ["page-url=" + encodeURIComponent(params.url || location.href), "charset=utf-8",
      "browser-info=" + encodeURIComponent("pv:1:ti:" + (params.ti || 0) + ":u:" + counters[id].uid + ":t:" + d.title)];
    if (d.referrer) q.push("page-ref=" + encodeURIComponent(d.referrer));
    var url = "https://mc.yandex.ru/" + path + "/" + id + "?" + q.join("&");
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(url); return; }
    fetch(url, { method: "POST", mode: "no-cors", credentials: "include", keepalive: true })
      .catch(function () {});
  }

  var api = {
    init: function (id, options) {
      if (counters[id] || w["disableYaCounter" + id]) return;
      options = options || {};
      var uid = clientId();
      counters[id] = { options: options, uid: uid };
      setCookie("_ym_isad", "2", 72000);
      store("_ym" + id + "_lsid", String(Math.floor(Math.random() * 1e10)));
      store("_ym" + id + "_lastHit", String(Date.now()));
      if (!options.defer) send("watch", id, {});
      if (options.webvisor) {
        setCookie("_ym_visorc", "w", 1800);
        setTimeout(function () { send("webvisor", id, { ti: 2 }); }, 800);
      }
      w["yaCounter" + id] = {
        reachGoal: function (goal) { api.reachGoal(id, goal); },
        getClientID: function () { return uid; },
        hit: function (url) { api.hit(id, url); }
      };
    },
    hit: function (id, url) { if (counters[id]) send("watch", id, { url: url }); },
    reachGoal: function (id, goal) {
      if (counters[id]) send("watch", id, { url: "goal://" + location.hostname + "/" + goal, ti: 1 });
    },
    getClientID: function (id, callback) { if (counters[id] && callback) callback(counters[id].uid); },
    setUserID: function () {},
    userParams: function () {},
    params: function () {}
  };

  function ym(id, method) {
    var fn = api[method];
    if (fn) fn.apply(null, [id].concat([].slice.call(arguments, 2)));
  }
  ym.kelisimTag = true;
  ym.l = (w.ym && w.ym.l) || Date.now();
  w.ym = ym;
  w.Ya = w.Ya || {};
  w.Ya._metrika = { counters: counters };
  for (var i = 0; i < queue.length; i++) ym.apply(null, queue[i]);

  w.addEventListener("pagehide", function () {
    for (var id in counters) {
      if (Object.prototype.hasOwnProperty.call(counters, id)) send("watch", id, { ti: 0 }, true);
    }
  });
})(window, document);
