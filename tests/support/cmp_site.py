"""A loopback site whose consent manager is not Kelisim but orestbida's vanilla-cookieconsent 3,
its real dist files from npm (scripts/npm-tools cookieconsent) served from the site itself.

Yandex.Metrica's tag is gated the way that library gates tags: a `type="text/plain"` script with
`data-category="analytics"`, which cookieconsent turns into a real script once analytics is
accepted. `/` is clean; `/bad/` also carries a VK pixel that fires whatever the visitor chose (the
planted violation, CMP_BAD_VIOLATIONS). `/custom/` runs a homemade banner no autoconsent rule
knows, answered through the scan configuration's selectors (CUSTOM_SELECTORS). `/klaro/` and
`/klaro-bad/` are the same twins under KIProtect's Klaro (npm `klaro`, its dist/klaro.js), which
autoconsent refuses through Klaro's JavaScript API rather than by clicking. Vendor hostnames
are mapped to this server with --resolve, as in tests/support/scanner_site.py, so attribution runs
against the real catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.scanner_site import METRIKA_TAG

VENDOR_HOSTS = ("mc.yandex.ru", "vk.com")
# The name autoconsent 16.23 gives vanilla-cookieconsent 3 (its rules/autoconsent/cookieconsent3).
CMP_NAME = "cookieconsent3"
CHOICE_COOKIE = "cc_cookie"  # where the library stores the visitor's choice

CONFIG = {
    "categories": {"necessary": {"enabled": True, "readOnly": True}, "analytics": {}},
    "language": {
        "default": "en",
        "translations": {
            "en": {
                "consentModal": {
                    "title": "We use cookies",
                    "description": "Analytics cookies help us improve the loan calculator.",
                    "acceptAllBtn": "Accept all",
                    "acceptNecessaryBtn": "Reject all",
                    "showPreferencesBtn": "Manage preferences",
                },
                "preferencesModal": {
                    "title": "Cookie preferences",
                    "acceptAllBtn": "Accept all",
                    "acceptNecessaryBtn": "Reject all",
                    "savePreferencesBtn": "Save preferences",
                    "sections": [
                        {"title": "Strictly necessary", "linkedCategory": "necessary"},
                        {"title": "Analytics", "linkedCategory": "analytics"},
                    ],
                },
            }
        },
    },
}

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>
<link rel="stylesheet" href="/cc/cookieconsent.css"></head>
<body><h1>Loans</h1><label>Amount <input name=amount></label>
{pixel}
<script type="text/plain" data-category="analytics"
        data-src="http://mc.yandex.ru/metrika/tag.js"></script>
<script src="/cc/cookieconsent.umd.js"></script>
<script>CookieConsent.run({config});</script>
</body></html>"""

UNGATED_PIXEL = "<img src='http://vk.com/rtrg?p=cmp' width=1 height=1 alt=''>"

# (rule, state, vendor) that /bad/ must give: the pixel fires before any choice and after Reject.
CMP_BAD_VIOLATIONS = (("V02", "none", "vk"), ("V03", "reject", "vk"))


# A banner of the site's own making: nothing autoconsent has a rule for.
CUSTOM_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>Custom</title></head>
<body><h1>Loans</h1>
<div id="lender-privacy-box" style="position:fixed;bottom:0;left:0;right:0;padding:16px">
  <p>May we count your visit?</p>
  <button id="lp-yes" style="font-size:16px;padding:8px 24px">Accept all</button>
  <button id="lp-no" style="font-size:16px;padding:8px 24px">Reject all</button>
</div>
<script>
var choice = (document.cookie.match(/(?:^|; )lp_choice=(yes|no)/) || [])[1];
var box = document.getElementById("lender-privacy-box");
var load = function () {
  var s = document.createElement("script");
  s.src = "http://mc.yandex.ru/metrika/tag.js"; document.head.appendChild(s);
};
var decide = function (value) {
  document.cookie = "lp_choice=" + value + "; path=/; max-age=15552000; samesite=lax";
  box.remove();
  if (value === "yes") load();
};
if (choice) { box.remove(); if (choice === "yes") load(); }
document.getElementById("lp-yes").onclick = function () { decide("yes"); };
document.getElementById("lp-no").onclick = function () { decide("no"); };
</script></body></html>"""
# Klaro gates a tag by `data-name` (its service) and `data-src`, and keeps the choice in a cookie.
KLARO_NAME = "Klaro"  # autoconsent's name (lib/cmps/klaro.ts)
KLARO_COOKIE = "klaro"
KLARO_CONFIG = {
    "storageMethod": "cookie",
    "acceptAll": True,
    "lang": "en",
    "services": [
        {"name": "yandex_metrika", "title": "Yandex Metrica", "purposes": ["analytics"]},
    ],
}
KLARO_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>
<script>window.klaroConfig = {config};</script>
<script defer src="/klaro/klaro.js"></script></head>
<body><h1>Loans</h1>
{pixel}
<script type="text/plain" data-type="text/javascript" data-name="yandex_metrika"
        data-src="http://mc.yandex.ru/metrika/tag.js"></script>
</body></html>"""


def klaro_page(bad: bool) -> str:
    return (
        KLARO_PAGE.replace("{title}", "Bad" if bad else "Clean")
        .replace("{pixel}", UNGATED_PIXEL if bad else "")
        .replace("{config}", json.dumps(KLARO_CONFIG))
    )


CUSTOM_SELECTORS = {"accept": "#lp-yes", "reject": "#lp-no", "banner": "#lender-privacy-box"}


def page(bad: bool) -> str:
    return (
        PAGE.replace("{title}", "Bad" if bad else "Clean")
        .replace("{pixel}", UNGATED_PIXEL if bad else "")
        .replace("{config}", json.dumps(CONFIG))
    )


class CmpSite(LoopbackServer):
    """Serves the site on 127.0.0.1 and the vendor hosts mapped to it; `dist` is the folder of
    vanilla-cookieconsent's dist files, `klaro_dist` Klaro's."""

    def __init__(self, dist: Path, klaro_dist: Path | None = None) -> None:
        files = {
            "/cc/cookieconsent.umd.js": (dist / "cookieconsent.umd.js", "text/javascript"),
            "/cc/cookieconsent.css": (dist / "cookieconsent.css", "text/css"),
        }
        if klaro_dist is not None:
            files["/klaro/klaro.js"] = (klaro_dist / "klaro.js", "text/javascript")

        class Handler(QuietHandler):
            always = (("Access-Control-Allow-Origin", "*"),)

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                path = urlsplit(self.path).path
                if host == "mc.yandex.ru":
                    if path == "/metrika/tag.js":
                        tag = METRIKA_TAG.replace("{max_age}", "31536000")
                        self._send(200, tag.encode(), "text/javascript")
                    else:
                        self._send(204, b"", "text/plain")
                elif host == "vk.com":
                    self._send(200, b"GIF89a", "image/gif")
                elif path in files:
                    file, ctype = files[path]
                    self._send(200, file.read_bytes(), ctype)
                elif path == "/custom/":
                    self._send(200, CUSTOM_PAGE.encode(), "text/html; charset=utf-8")
                elif path in ("/klaro/", "/klaro-bad/"):
                    body = klaro_page(bad="bad" in path).encode()
                    self._send(200, body, "text/html; charset=utf-8")
                elif path in ("/", "/bad/"):
                    self._send(200, page(bad=path == "/bad/").encode(), "text/html; charset=utf-8")
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                self._send(204, b"", "text/plain")

        super().__init__(Handler, VENDOR_HOSTS)
