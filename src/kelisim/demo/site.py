"""The demo lender's site, "CreditPlus (демо)": the pages a real microfinance site has, in ru/kk/en.

Every page carries Kelisim's cmp.js first in <head> and all the vendors' tags the way their real
snippets are written, made inert for Kelisim (`type="text/plain" data-vendor=…`, `data-src`), under
a strict nonce-based CSP, so the banner and the gating runtime meet the same markup and the same
restrictions as on the production site. The privacy page renders the vendor list from the catalogue,
so the policy text and the configuration cannot drift apart. The same pages under `/unsafe/` carry
the planted violations listed in `kelisim.demo.unsafe_plan`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kelisim.demo import ids
from kelisim.demo.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, TEXTS, country_name
from kelisim.demo.recorder import RequestLog
from kelisim.demo.unsafe_plan import UNSAFE_PREFIX

PAGES: tuple[str, ...] = ("home", "apply", "about", "privacy", "contact")
SAFE, UNSAFE = "site", "unsafe"

pages = Blueprint("pages", __name__)
# Frames of the unsafe twin that do not load Kelisim (src/kelisim/demo/unsafe_plan.py, U04, U05).
unsafe_helpers = Blueprint("unsafe_helpers", __name__)
HELPER_KINDS = ("quality", "attribution")
CONSENT_COOKIE = "kelisim_consent"  # cmp.js keeps the visitor's signed consent token in it
# U07: the unsafe twin's server "extends" Clarity's session cookie (declared: 1 day) to 30 days.
CLSK_EXTENDED_SECONDS = 30 * 24 * 3600
_COOKIE_VALUE = re.compile(r"[A-Za-z0-9%._|~-]{1,512}")


def content_security_policy(nonce: str, cmp_origin: str) -> str:
    """Strict CSP: scripts only by nonce (and what they load, via 'strict-dynamic').

    Images, frames and connections may go to any HTTPS host because the vendors' pixels and frames
    are part of the demo; the CMP origin is named explicitly because locally it is plain HTTP.
    """
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'nonce-{nonce}' 'strict-dynamic'",
            f"style-src 'self' 'nonce-{nonce}' {cmp_origin}",
            f"img-src 'self' data: https: {cmp_origin}",
            f"connect-src 'self' https: {cmp_origin}",
            f"frame-src 'self' https: {cmp_origin}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",  # the unsafe twin frames its own helpers
        )
    )


def matomo_domain_hash(host: str) -> str:
    """Matomo's cookie-name suffix: the first 4 hex of SHA-1 over the cookie domain and path."""
    domain = host.split(":", 1)[0].lower().removeprefix("www.")
    return hashlib.sha1(f"{domain}/".encode()).hexdigest()[:4]


def _load_catalogue(path: Path) -> Any | None:
    """The catalogue through the CMP's own loader (None, with the page saying so, if it fails)."""
    try:
        from kelisim.domain import catalogue as catalogue_module

        return catalogue_module.load(path)
    except Exception as error:  # the policy page must still render, and say what is missing
        g.catalogue_error = str(error)
        return None


def policy_rows(catalogue: Any, lang: str) -> list[dict[str, Any]]:
    """One row per catalogue vendor, in the visitor's language, for the privacy page's table."""
    purpose_names = {purpose.id: purpose.name.get(lang) for purpose in catalogue.purposes}
    return [
        {
            "id": vendor.id,
            "name": vendor.name,
            "company": vendor.company,
            "country": country_name(vendor.country, lang),
            "purposes": [purpose_names.get(p, p) for p in vendor.purposes],
            "description": vendor.description.get(lang),
            "abroad": bool(vendor.data_leaves_kz),
            "policy_url": vendor.privacy_policy_url,
        }
        for vendor in catalogue.vendors
    ]


def _render(page: str, lang: str, **extra: Any) -> str:
    if lang not in LANGUAGES:
        abort(404)
    unsafe = request.blueprint == UNSAFE
    endpoint = f"{request.blueprint}.{page}"
    switcher = [
        {"code": code, "name": LANGUAGE_NAMES[code], "url": url_for(endpoint, lang=code)}
        for code in LANGUAGES
    ]
    nav = [(name, url_for(f"{request.blueprint}.{name}", lang=lang)) for name in PAGES]
    return render_template(
        f"{page}.html",
        page=page,
        lang=lang,
        t=TEXTS[lang],
        nav=nav,
        switcher=switcher,
        unsafe=unsafe,
        nonce=g.nonce,
        cmp_url=g.cmp_url,
        # ?cmp=off: the same page without cmp.js, the baseline bench/banner.py's Lighthouse runs
        # compare against (its inert tags stay inert, so nothing else changes).
        with_cmp=request.args.get("cmp") != "off",
        ids=ids,
        matomo_url=request.host_url,
        **extra,
    )


@pages.route("/")
def root() -> Response:
    lang = request.args.get("lang", DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    return redirect(url_for(f"{request.blueprint}.home", lang=lang))


@pages.route("/<lang>/")
def home(lang: str) -> str:
    return _render("home", lang)


@pages.route("/<lang>/apply", methods=["GET", "POST"])
def apply(lang: str) -> str:
    # The demo stores nothing: a POST only shows what a real lender would do next.
    return _render("apply", lang, submitted=request.method == "POST")


@pages.route("/<lang>/about")
def about(lang: str) -> str:
    return _render("about", lang)


@pages.route("/<lang>/privacy")
def privacy(lang: str) -> str:
    if lang not in LANGUAGES:
        abort(404)
    from flask import current_app

    catalogue = _load_catalogue(current_app.config["KELISIM_CATALOGUE"])
    rows = policy_rows(catalogue, lang) if catalogue is not None else None
    operator = catalogue.operator if catalogue is not None else None
    return _render("privacy", lang, rows=rows, operator=operator)


@pages.route("/<lang>/contact")
def contact(lang: str) -> str:
    return _render("contact", lang)


def consent_claims(token: str | None) -> dict[str, Any] | None:
    """The claims of a consent token read the careless way: decoded, never verified.

    Only the unsafe twin's helpers use this (that is part of what is wrong with them); Kelisim's
    server verifies the signature (src/kelisim/domain/tokens.py) and cmp.js asks it to.
    """
    if not token:
        return None
    try:
        payload = token.split(".", 1)[0]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def helper_loads(kind: str, claims: dict[str, Any] | None) -> bool:
    """PLANTED VIOLATIONS U04, U05: what the unsafe twin's helper frames decide to load.

    "quality" (Clarity) loads once the visitor has answered the banner at all, whatever the answer
    (a refusal and a withdrawal included); "attribution" (AppsFlyer) loads when Google Analytics is
    granted, as if an analytics grant covered attribution. Neither asks about its own vendor.
    """
    if claims is None:
        return False
    if kind == "quality":
        return True
    granted = claims.get("g")
    return isinstance(granted, list) and "google_analytics" in granted


@unsafe_helpers.route(f"{UNSAFE_PREFIX}/helpers/<kind>")
def helper(kind: str) -> str:
    if kind not in HELPER_KINDS:
        abort(404)
    load = helper_loads(kind, consent_claims(request.cookies.get(CONSENT_COOKIE)))
    return render_template("unsafe_helper.html", kind=kind, load=load, nonce=g.nonce, ids=ids)


def extend_clarity_session(response: Response) -> None:
    """PLANTED VIOLATION U07: "server-side cookie extension" of Clarity's `_clsk`.

    Sites re-issue script-written vendor cookies from their own server so they outlive browser caps
    on such cookies; here every page of the unsafe twin re-sets `_clsk` for 30 days (Clarity and
    the catalogue declare 1 day).
    """
    value = request.cookies.get("_clsk")
    if value and _COOKIE_VALUE.fullmatch(value):
        response.headers.add(
            "Set-Cookie",
            f"_clsk={value}; Path=/; Max-Age={CLSK_EXTENDED_SECONDS}; SameSite=Lax",
        )


def create_site(*, cmp_url: str, catalogue_path: Path, log: RequestLog | None = None) -> Flask:
    """The demo site. `cmp_url` is the Kelisim server's origin (another origin on purpose)."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        KELISIM_CMP_URL=cmp_url.rstrip("/"),
        KELISIM_CATALOGUE=Path(catalogue_path),
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.register_blueprint(pages, name=SAFE)
    app.register_blueprint(pages, url_prefix=UNSAFE_PREFIX, name=UNSAFE)
    app.register_blueprint(unsafe_helpers)
    matomo_source = (
        resources.files("kelisim.demo").joinpath("static", "matomo.js").read_text("utf-8")
    )

    @app.before_request
    def _nonce() -> None:
        g.nonce = secrets.token_urlsafe(18)
        g.cmp_url = app.config["KELISIM_CMP_URL"]

    @app.after_request
    def _headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = content_security_policy(
                g.nonce, g.cmp_url
            )
            response.headers["Cache-Control"] = "no-store"
            if request.path.startswith(UNSAFE_PREFIX + "/"):
                extend_clarity_session(response)
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.route("/favicon.ico")
    def favicon() -> Response:
        return Response(status=204)

    # Matomo is self-hosted: its script and tracker live on the site's own host, and their
    # requests go to the same request log as the fake vendors'.
    @app.route("/matomo.js")
    def matomo_js() -> Response:
        if log is not None:
            log.record(request)
        body = matomo_source.replace("__DOMAIN_HASH__", matomo_domain_hash(request.host))
        response = Response(body, mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.route("/matomo.php", methods=["GET", "POST"])
    def matomo_php() -> Response:
        if log is not None:
            log.record(request)
        return Response(status=204, headers={"Cache-Control": "no-store"})

    return app
