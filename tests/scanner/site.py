"""A tiny loopback site for scanner tests, independent of the demo.

One threaded HTTP server answers for the site (127.0.0.1) and for two real vendor hostnames that
the scanner maps to it with --resolve (mc.yandex.ru, vk.com), so attribution runs against the real
catalogue. The page carries a minimal stand-in for window.kelisim (same public API). `/` is
clean; `/bad/` plants one violation per core rule, listed in BAD_PAGE_VIOLATIONS.
"""

from __future__ import annotations

import http.server
import threading
from urllib.parse import urlsplit

VENDOR_HOSTS = ("mc.yandex.ru", "vk.com")

KELISIM_STUB = """
<script>
window.kelisim = (function () {
  var ids = ["yandex_metrika", "vk", "google_analytics"];
  var read = function () {
    var m = document.cookie.match(/(?:^|; )kelisim_consent=([^;]*)/);
    try { return m ? JSON.parse(decodeURIComponent(m[1])) : null; } catch (e) { return null; }
  };
  var state = read();
  var get = function () {
    var v = {}; ids.forEach(function (i) { v[i] = !!(state && state[i]); });
    return {decided: !!state, vendors: v};
  };
  var listeners = [];
  var store = function (grants) {
    document.cookie = "kelisim_consent=" + encodeURIComponent(JSON.stringify(grants)) +
      "; path=/; max-age=15552000; samesite=lax";
    state = grants;
    window.__activate && window.__activate(state, true);
    listeners.forEach(function (f) { f(get()); });
    return Promise.resolve(get());
  };
  var all = function (on) { var g = {}; ids.forEach(function (i) { g[i] = on; }); return g; };
  return {
    ready: Promise.resolve(), get: get, show: function () {},
    on: function (n, f) { listeners.push(f); },
    acceptAll: function () { return store(all(true)); },
    rejectAll: function () { return store(all(false)); },
    set: function (o) { var g = all(false); for (var k in o) g[k] = o[k]; return store(g); },
    withdraw: function () {
      document.cookie = "_ym_uid=; max-age=0; path=/";
      localStorage.removeItem("_ym_uid");
      return store(all(false)).then(function () {
        setTimeout(function () { location.reload(); });
      });
    }
  };
})();
</script>
"""

BANNER = """
<div id="banner" style="position:fixed;bottom:0;left:0;right:0;padding:16px;background:#eee">
  <p>Мы используем cookie.</p>
  <button style="font-size:16px;padding:8px 24px">Принять все</button>
  {reject}
  <button style="font-size:16px;padding:8px 24px">Настроить</button>
</div>
"""
REJECT_BUTTON = '<button style="font-size:16px;padding:8px 24px">Отклонить все</button>'

# Activation: Metrica's tag only when granted (the clean page) or on any choice (the bad page).
ACTIVATE = """
<script>
window.__activate = function (state, fresh) {
  if (window.__ym) return;
  if ({condition}) {
    window.__ym = true;
    var s = document.createElement("script");
    s.src = "http://mc.yandex.ru/metrika/tag.js{query}";
    document.head.appendChild(s);
  }
};
var st = window.kelisim.get();
if (st.decided) window.__activate(st.vendors, false);
</script>
"""

METRIKA_TAG = """
document.cookie = "_ym_uid=1700000000123; path=/; max-age={max_age}; samesite=lax";
try { localStorage.setItem("_ym_uid", "1700000000123"); } catch (e) {}
fetch("http://mc.yandex.ru/watch/1?page=" + encodeURIComponent(location.href), {keepalive: true});
"""

CLEAN_PAGE = (
    "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Clean</title>"
    + KELISIM_STUB
    + "</head><body><h1>Кредит</h1><a href='/about/'>О нас</a>"
    + BANNER.replace("{reject}", REJECT_BUTTON)
    + ACTIVATE.replace("{condition}", "state.yandex_metrika").replace("{query}", "")
    + "</body></html>"
)

# /bad/: VK pixel before any choice (V02), Metrica on every choice including Reject all (V03) and
# a single-vendor grant of vk (V04), with a 10-year _ym_uid (V08, declared 365 days), an undeclared
# first-party cookie (V06), no Reject button (V13).
BAD_PAGE = (
    "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Bad</title>"
    + KELISIM_STUB
    + "</head><body><h1>Кредит</h1><img src='http://vk.com/rtrg?p=1' width=1 height=1>"
    + BANNER.replace("{reject}", "")
    + ACTIVATE.replace("{condition}", "true").replace("{query}", "?bad=1")
    + "</body></html>"
)

BAD_PAGE_VIOLATIONS = (
    ("V02", "none", "vk"),
    ("V03", "reject", "yandex_metrika"),
    ("V04", "vendor:vk", "yandex_metrika"),
    ("V06", "any", None),
    ("V08", "any", "yandex_metrika"),
    ("V13", "none", None),
)

POLICY_PAGE = (
    "<!doctype html><html><body><h1>Политика</h1><p>Мы используем Яндекс.Метрика.</p></body></html>"
)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        return None

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        path = urlsplit(self.path).path
        html = "text/html; charset=utf-8"
        if host == "mc.yandex.ru":
            if path == "/metrika/tag.js":
                max_age = 315360000 if "bad=1" in self.path else 31536000
                self._send(
                    200, METRIKA_TAG.replace("{max_age}", str(max_age)).encode(), "text/javascript"
                )
            else:
                self._send(204, b"", "text/plain", {"Access-Control-Allow-Origin": "*"})
            return
        if host == "vk.com":
            self._send(200, b"GIF89a", "image/gif")
            return
        if path == "/":
            self._send(200, CLEAN_PAGE.encode(), html)
        elif path == "/about/":
            self._send(200, CLEAN_PAGE.replace("Clean", "About").encode(), html)
        elif path == "/bad/":
            self._send(
                200, BAD_PAGE.encode(), html, {"Set-Cookie": "_mystery=1; Path=/; Max-Age=86400"}
            )
        elif path == "/policy/":
            self._send(200, POLICY_PAGE.encode(), html)
        elif path == "/sitemap.xml":
            port = self.server.server_address[1]
            body = f"<urlset><url><loc>http://127.0.0.1:{port}/about/</loc></url></urlset>"
            self._send(200, body.encode(), "application/xml")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        self._send(204, b"", "text/plain", {"Access-Control-Allow-Origin": "*"})


class LoopbackSite:
    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def resolve_args(self) -> list[str]:
        return [
            arg
            for host in VENDOR_HOSTS
            for arg in ("--resolve", f"MAP {host} 127.0.0.1:{self.port}")
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
