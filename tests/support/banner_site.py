"""The world of the banner's browser tests: the real Kelisim app, a lender-like test site and a fake
vendor host, all on loopback (fixtures in conftest.py start them).

The site serves every page under a strict CSP (`script-src 'nonce-…' 'strict-dynamic'`, or with
`csp=nonce` the nonce alone; a nonce-only `style-src`, a report-uri it records) and carries all 14
vendors' snippets in their real shapes (site.html), inert until cmp.js activates them. The fake
vendor host answers each vendor's script with a few lines that do what the vendor does (set its
cookies and storage, send a beacon to its collection host) and records every request. Plain HTTP
on loopback is enough here; the demo (src/kelisim/demo/) does the same over HTTPS with a local CA.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from kelisim.settings import DEFAULT_CATALOGUE, Settings

CATALOGUE = DEFAULT_CATALOGUE
AMPLITUDE_KEY = "4b656c6973696d2064656d6f206b6579"


# --- servers ---------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """No access log: a receipt's URL (/consent/<id>) names a consent id, which logs must not."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve(app: Callable[..., Any], *, quiet: bool = False) -> tuple[BaseWSGIServer, int]:
    handler = _QuietHandler if quiet else None
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_port


@dataclass
class Hit:
    host: str
    path: str  # with the query string
    at: float


@dataclass
class RequestLog:
    """Every request a fake vendor host (or the site's self-hosted Matomo) received, in order."""

    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, host: str, path: str) -> None:
        with self.lock:
            self.hits.append(Hit(host, path, time.monotonic()))

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()

    def hosts(self) -> set[str]:
        with self.lock:
            return {hit.host for hit in self.hits}

    def paths(self, host: str) -> list[str]:
        with self.lock:
            return [hit.path for hit in self.hits if hit.host == host]

    def any(self, host: str, fragment: str = "") -> bool:
        return any(fragment in path for path in self.paths(host))


def _mark(vendor_id: str) -> str:
    return f"(window.__kv=window.__kv||[]).push({json.dumps(vendor_id)});"


def _cookie(name: str, days: int = 365) -> str:
    return f"document.cookie='{name}=1;path=/;max-age={days * 86400}';"


# What each fake vendor script does: the cookies and storage its real counterpart sets (as declared
# in vendors.yaml) and a request to its collection host.
FAKE_SCRIPTS: dict[tuple[str, str], str] = {
    # GTM loads other tags itself: here Yandex Metrica, a tag the page never names.
    ("www.googletagmanager.com", "/gtm.js"): _mark("google_tag_manager")
    + "var s=document.createElement('script');s.async=true;"
    + "s.src='http://mc.yandex.ru/metrika/tag.js?via=gtm';document.head.appendChild(s);",
    ("www.googletagmanager.com", "/gtag/js"): "",  # filled per measurement id below
    ("mc.yandex.ru", "/metrika/tag.js"): _mark("yandex_metrika")
    + _cookie("_ym_uid")
    + _cookie("_ym_d")
    + "localStorage.setItem('_ym_uid','1');localStorage.setItem('_ym12345678_lsid','2');"
    + "new Image().src='http://mc.yandex.ru/watch/12345678';",
    ("websdk.appsflyer.com", "/"): _mark("appsflyer")
    + _cookie("afUserId", 730)
    + "fetch('http://wa.appsflyer.com/events',{method:'POST',body:'{}'}).catch(function(){});",
    ("vk.com", "/js/api/openapi.js"): _mark("vk")
    + "window.VK={Retargeting:{Init:function(id){window.__vkid=id},"
    + "Hit:function(){new Image().src='http://vk.com/rtrg?p='+window.__vkid}}};",
    ("top-fwz1.mail.ru", "/js/code.js"): _mark("mail_ru")
    + _cookie("tmr_lvid", 333)
    + _cookie("tmr_lvidTS", 333)
    + "new Image().src='http://top-fwz1.mail.ru/counter?id=3412345;js=13';",
    ("cdn.amplitude.com", f"/script/{AMPLITUDE_KEY}.js"): "window.amplitude={"
    + "init:function(k){"
    + _mark("amplitude")
    + "document.cookie='AMP_'+k.slice(0,10)+'=1;path=/;max-age=31536000';"
    + "localStorage.setItem('AMP_unsent_'+k.slice(0,10),'[]');"
    + "fetch('http://api2.amplitude.com/2/httpapi',{method:'POST',body:'{}'}).catch(function(){});},"
    + "setOptOut:function(v){window.__ampOptOut=v}};",
    ("www.clarity.ms", "/tag/kelisim01"): _mark("microsoft_clarity")
    + "var q=(window.clarity&&window.clarity.q)||[];window.__clarity=[];"
    + "window.clarity=function(){window.__clarity.push([].slice.call(arguments))};"
    + "q.forEach(function(a){window.clarity.apply(null,a)});"
    + _cookie("_clck")
    + _cookie("_clsk", 1)
    + "sessionStorage.setItem('_cltk','1');navigator.sendBeacon('http://a.clarity.ms/collect','x');",
    ("score.jcsc.online", "/static/js.js"): _mark("juicyscore")
    + "new Image().src='http://score.jcsc.online/savedata/?isJs=1';",
    ("api.flocktory.com", "/v2/loader.js"): _mark("flocktory")
    + _cookie("flocktory-uuid", 333)
    + "fetch('http://api.flocktory.com/u_shaman/setup-api').catch(function(){});",
}

GTAG = {
    # GA4 and Firebase both load gtag.js from the same host; the measurement id tells them apart.
    "G-KELISIM1": _mark("google_analytics")
    + _cookie("_ga", 730)
    + _cookie("_ga_KELISIM1", 730)
    + "navigator.sendBeacon('http://region1.google-analytics.com/g/collect?v=2&tid=G-KELISIM1');",
    "G-KELISIMFB": _mark("firebase_analytics")
    + _cookie("_ga", 730)
    + "indexedDB.open('firebase-installations-database')"
    + ".onsuccess=function(e){e.target.result.close()};"
    + "fetch('http://firebaseinstallations.googleapis.com/v1/projects/kelisim-demo/installations',"
    + "{method:'POST',body:'{}'}).catch(function(){});",
}

# Self-hosted Matomo: counts nothing and sets no cookie until the site pushed setConsentGiven.
MATOMO_JS = (
    "(function(){var q=window._paq||[],req=0,ok=0;"
    "function go(){if(ok)return;ok=1;"
    + _mark("matomo")
    + _cookie("_pk_id.1.f00d", 393)
    + "navigator.sendBeacon('/matomo.php?idsite=1&rec=1');}"
    "function one(a){if(a[0]=='requireConsent')req=1;"
    "if(a[0]=='setConsentGiven'){req=0;go()}}"
    "q.forEach(one);if(!req)go();window._paq={push:one};})();"
)

IFRAME_DOC = "<!doctype html><title>provider</title><p>provider</p>"
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def vendor_app(log: RequestLog) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        response = answer(Request(environ))
        # Vendors' collection endpoints accept cross-origin fetches, as the real ones do.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response(environ, start_response)

    def answer(request: Request) -> Response:
        host = request.host.split(":")[0]
        query = request.query_string.decode()
        log.add(host, request.path + ("?" + query if query else ""))
        if host == "www.googletagmanager.com" and request.path == "/gtag/js":
            body = GTAG.get(request.args.get("id", ""), "")
            return Response(body, mimetype="text/javascript")
        script = FAKE_SCRIPTS.get((host, request.path))
        if script is None and host == "websdk.appsflyer.com":
            script = FAKE_SCRIPTS[(host, "/")]
        if script is not None:
            return Response(script, mimetype="text/javascript")
        if request.path.endswith(".html"):
            return Response(IFRAME_DOC, mimetype="text/html")
        if request.method == "GET" and "collect" not in request.path:
            return Response(PIXEL, mimetype="image/gif")
        return Response(status=204)

    return app


# --- the test site ---------------------------------------------------------------------------

SITE_DIR = Path(__file__).resolve().parents[1] / "browser"
PAGE = (SITE_DIR / "site.html").read_text(encoding="utf-8")
LATE = (SITE_DIR / "late.html").read_text(encoding="utf-8")
# Pages with unmarked vendor tags after the bootstrap (`boot=served|inline|none`).
GATED_PAGES = {
    "/unmarked": (SITE_DIR / "unmarked.html").read_text(encoding="utf-8"),
    "/paths": (SITE_DIR / "paths.html").read_text(encoding="utf-8"),
}


def bootstrap_tag(mode: str, cmp: str, nonce: str) -> str:
    """The bootstrap as a site includes it: Kelisim's URL, or its text inlined with the nonce."""
    if mode == "served":
        return f'<script src="{cmp}/bootstrap.js?site=default" nonce="{nonce}"></script>'
    if mode == "inline":
        with urlopen(f"{cmp}/bootstrap.js?site=default", timeout=30) as response:
            text = response.read().decode("utf-8")
        return f'<script nonce="{nonce}">{text}</script>'
    return ""


_SCRIPT_OPENING = re.compile(r"<script\b[^>]*>")


def in_pieces(html: str, pause: float = 0.05) -> Iterator[bytes]:
    """The page as a slow network delivers it: cut after every script's opening tag and again in the
    middle of its text, with a pause between pieces, so the parser sees each script start empty and
    its text arrive in two parts (what a long page over a real connection does at random)."""
    cuts = [0]
    for match in _SCRIPT_OPENING.finditer(html):
        end = html.find("</script>", match.end())
        cuts += [match.end(), (match.end() + end) // 2] if end > match.end() else [match.end()]
    cuts.append(len(html))
    for start, stop in pairwise(cuts):
        if stop > start:
            yield html[start:stop].encode("utf-8")
            time.sleep(pause)


@dataclass
class Site:
    base: str
    log: RequestLog
    csp_reports: list[dict[str, Any]]

    def url(self, cmp: str, path: str = "/", **options: object) -> str:
        query = {"cmp": cmp, **{key: str(value) for key, value in options.items()}}
        return f"{self.base}{path}?{urlencode(query)}"


def site_app(log: RequestLog, reports: list[dict[str, Any]]) -> Callable[..., Any]:
    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/csp-report":
            try:
                reports.append(json.loads(request.get_data() or b"{}"))
            except ValueError:
                reports.append({"unparsed": request.get_data(as_text=True)})
            return Response(status=204)
        if request.path in ("/matomo.js", "/matomo.php"):
            log.add("site", request.full_path.rstrip("?"))
            if request.path == "/matomo.js":
                return Response(MATOMO_JS, mimetype="text/javascript")
            return Response(status=204)
        if request.path not in ("/", "/other", *GATED_PAGES):
            return Response("not here", status=404)
        args = parse_qs(request.query_string.decode(), keep_blank_values=True)
        option = {key: values[0] for key, values in args.items()}
        nonce = secrets.token_urlsafe(16)
        lang = option.get("lang", "ru")
        attrs = ""
        if "fab" in option:
            attrs += f' data-floating-button="{option["fab"]}"'
        if "reverify" in option:
            attrs += f' data-reverify="{int(option["reverify"])}"'
        late = int(option["late"]) if "late" in option else None
        if request.path in GATED_PAGES:
            html = GATED_PAGES[request.path] % {
                "mode": option.get("boot", "served"),
                "boot": bootstrap_tag(option.get("boot", "served"), option["cmp"], nonce),
                "nonce": nonce,
                "cmp": option["cmp"],
                "script_attrs": attrs,
                "amp": AMPLITUDE_KEY,
                "gate": "&amp;gate=0" if option.get("gate") == "0" else "",
            }
        else:
            html = PAGE % {
                "lang": f' lang="{lang}"' if lang else "",
                "nonce": nonce,
                "cmp": option["cmp"],
                # As a real site includes it: the page's language in the URL (cmp.js embeds its
                # config).
                "cmp_lang": f"&amp;lang={lang}" if lang else "",
                "script_attrs": attrs,
                "amp": AMPLITUDE_KEY,
                "late": LATE % {"nonce": nonce, "late": late} if late is not None else "",
            }
        body = in_pieces(html) if option.get("pieces") == "1" else html
        response = Response(body, mimetype="text/html")
        # `csp=nonce`: without 'strict-dynamic' a script another script creates runs only if it
        # carries the page's nonce too.
        dynamic = "" if option.get("csp") == "nonce" else " 'strict-dynamic'"
        response.headers["Content-Security-Policy"] = (
            f"script-src 'nonce-{nonce}'{dynamic}; object-src 'none'; base-uri 'none'; "
            f"style-src 'nonce-{nonce}'; report-uri /csp-report"
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    return app


@dataclass
class Kelisim:
    """A running Kelisim server; `base` is its origin as the page sees it (not the site's)."""

    app: Any
    base: str
    server: BaseWSGIServer

    @property
    def store(self) -> Any:
        return self.app.extensions["kelisim"].store


def start_kelisim(
    database_url: str,
    catalogue_path: Path,
    token_key: str,
    refresh_seconds: float | None = None,
) -> Kelisim:
    """`refresh_seconds` None pins the catalogue the server started with; a number follows the
    database's publishes like a production worker."""
    from kelisim.web.app import create_app

    settings = Settings(
        database_url=database_url,
        catalogue_path=catalogue_path,
        token_keys=(token_key,),
        secret_key="browser-tests-secret-key-" + "k" * 24,
        ip_pepper="browser-tests-pepper-" + "p" * 24,
        # Two servers share one consent log but each serves its own catalogue revision: neither
        # adopts the other's as the live one (test_a_new_revision_asks_again needs both).
        extra={"catalogue_refresh_seconds": refresh_seconds},
    )
    app = create_app(settings)
    server, port = serve(app, quiet=True)
    # localhost, not 127.0.0.1: the runtime is cross-origin to the site, as in production.
    return Kelisim(app=app, base=f"http://localhost:{port}", server=server)


@dataclass
class Visit:
    """One test's browser context and page, with what the test needs to look at."""

    context: Any
    page: Any
    site: Site
    kelisim: Kelisim
    console_errors: list[str]
    # Every request the browser started: the fake hosts cannot log what never reached them (a
    # beacon to an HSTS-preloaded Google host is upgraded to HTTPS, which the fake does not speak).
    requests: list[str]
    vendor_hosts: tuple[str, ...]

    def open(self, *, cmp: str | None = None, path: str = "/", **options: object) -> None:
        """Load the test site and wait until the runtime knows the consent state."""
        self.page.goto(self.site.url(cmp or self.kelisim.base, path, **options))
        self.ready()

    def ready(self) -> dict[str, Any]:
        """Wait for cmp.js on the current page to know the consent state; returns `kelisim.get()`.

        Predicates are functions, not strings: the page's CSP (no 'unsafe-eval') refuses strings.
        """
        self.page.wait_for_function("() => window.kelisim && kelisim.ready")
        state = self.page.evaluate("kelisim.ready")
        # The banner opens after the page's first paint, one frame and a task later than ready
        # (static/cmp/banner.js, afterPaint): wait as long, so a test can look for it at once.
        self.page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
            "() => setTimeout(r))))"
        )
        return state

    def reached(self, host: str, fragment: str = "", timeout: float = 10.0) -> bool:
        """Whether a request to `host` (with `fragment` in its path) arrives within `timeout`: for
        what must happen, where settle()'s quiet spell could end before a slow machine sends it."""
        deadline = time.monotonic() + timeout
        while not self.site.log.any(host, fragment):
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(50)
        return True

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until no new request reached the fake hosts for `quiet` seconds."""
        start = time.monotonic()
        while time.monotonic() < start + timeout:
            seen = len(self.requests)
            with self.site.log.lock:
                last = max([start, *(hit.at for hit in self.site.log.hits[-1:])])
            # Not time.sleep: Playwright delivers the browser's events only while it is called.
            self.page.wait_for_timeout(50)
            if time.monotonic() - last >= quiet and len(self.requests) == seen:
                return

    def vendor_requests(self) -> list[str]:
        """Requests the browser started towards any vendor host or a self-hosted Matomo path."""
        found = []
        for url in list(self.requests):
            parts = urlsplit(url)
            if parts.hostname in self.vendor_hosts or parts.path in ("/matomo.js", "/matomo.php"):
                found.append(url)
        return found

    def vendor_requests_to(self, *hosts: str) -> list[str]:
        return [url for url in self.vendor_requests() if urlsplit(url).hostname in hosts]

    def loaded(self) -> set[str]:
        """Vendor ids whose (fake) code ran on the current page."""
        return set(self.page.evaluate("window.__kv || []"))

    def artefacts(self) -> dict[str, set[str]]:
        """First-party cookies (but ours), localStorage, sessionStorage keys and IndexedDB names."""
        stored = self.page.evaluate(
            """async () => ({
                local: Object.keys(localStorage),
                session: Object.keys(sessionStorage).filter(k => !k.startsWith('kelisim:')),
                idb: (await indexedDB.databases()).map(d => d.name),
            })"""
        )
        cookies = {c["name"] for c in self.context.cookies() if c["name"] != "kelisim_consent"}
        return {
            "cookies": cookies,
            "local": set(stored["local"]),
            "session": set(stored["session"]),
            "idb": set(stored["idb"]),
        }

    def banner_visible(self) -> bool:
        return self.page.locator("#kelisim [role=dialog]").is_visible()

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__csp || []"))


def new_visit(
    browser: Any, site: Site, kelisim: Kelisim, hosts: tuple[str, ...], **options: Any
) -> Visit:
    context = browser.new_context(**{"locale": "ru-RU", **options})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    context.on("request", lambda r: requests.append(r.url))
    return Visit(context, page, site, kelisim, errors, requests, hosts)
