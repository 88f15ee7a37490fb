"""A loopback shop whose product pages share one template, for template clustering
(`kelisim scan --cluster`).

Every `/shop/<name>/` page is the same HTML byte for byte. Its shared script `/static/app.js`
loads Metrica once it is granted, sends a Mail.ru beacon on pagehide once Mail.ru was granted, and
a withdrawal does not stop it (V10, seen only in the `withdraw` state) and the
page shows a pixel of a tracker no catalogue vendor covers before any choice (V02/V03 `unknown`).
On `/shop/extra/` only, the same script also fires a VK pixel as soon as *any* vendor is granted:
fine after Accept all, a V04 after a single grant of Google Analytics. That page differs from the
others only in what its visits observe, which is what the fingerprint is made of; a fingerprint of
the HTML would put it in the template's cluster and miss its V04.

The vendor hosts are the real ones, mapped to this server with --resolve
(tests/support/scanner_site.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.scanner_site import BANNER, LATE_STUB, METRIKA_TAG, REJECT_BUTTON, VENDOR_HOSTS

TEMPLATE_PAGES = ("/shop/1/", "/shop/2/", "/shop/3/")
EXTRA_PAGE = "/shop/extra/"

APP_JS = """
var granted = function (id) { var s = window.kelisim.get(); return s.decided && s.vendors[id]; };
// Once Mail.ru is granted the beacon is armed for the page's life: a withdrawal never disarms it.
var leaveBeacon = granted("mail_ru");
window.kelisim.on("consent", function (st) { if (st.vendors.mail_ru) leaveBeacon = true; });
window.addEventListener("load", function () {
  if (granted("yandex_metrika")) {
    var s = document.createElement("script");
    s.src = "http://mc.yandex.ru/metrika/tag.js"; document.head.appendChild(s);
  }
  if (location.pathname.indexOf("/extra/") >= 0) {
    var st = window.kelisim.get(), any = false;
    for (var k in st.vendors) if (st.vendors[k]) any = true;
    if (st.decided && any) { var i = new Image(); i.src = "http://vk.com/rtrg?p=extra"; }
  }
});
window.addEventListener("pagehide", function () {
  if (leaveBeacon) navigator.sendBeacon("http://top-fwz1.mail.ru/counter?leave=1", "x");
});
"""

PRODUCT_PAGE = (
    "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Товар</title>"
    + LATE_STUB
    + "</head><body><h1>Кредит наличными</h1>"
    + "<img src='http://pixel.trackly.io/p.gif' width=1 height=1>"
    + BANNER.replace("{reject}", REJECT_BUTTON)
    + "<script src='/static/app.js'></script></body></html>"
)


class _Handler(QuietHandler):
    always = (("Access-Control-Allow-Origin", "*"),)

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        path = urlsplit(self.path).path
        if host == "mc.yandex.ru" and path == "/metrika/tag.js":
            body = METRIKA_TAG.replace("{max_age}", "31536000")
            self._send(200, body.encode(), "text/javascript")
        elif host in ("vk.com", "pixel.trackly.io"):
            self._send(200, b"GIF89a", "image/gif")
        elif host != "127.0.0.1":
            self._send(204, b"", "text/plain")
        elif path.startswith("/shop/") and path.endswith("/"):
            self._send(200, PRODUCT_PAGE.encode(), "text/html; charset=utf-8")
        elif path == "/static/app.js":
            self._send(200, APP_JS.encode(), "text/javascript")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        self._send(204, b"", "text/plain")


class TemplateSite(LoopbackServer):
    def __init__(self) -> None:
        super().__init__(_Handler, VENDOR_HOSTS)
