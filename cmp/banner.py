"""Serves the browser runtime: /cmp.js (minified, cmp.css inlined, the site's config embedded) and
/cmp.css.

`/cmp.js?site=default&lang=ru` is static/cmp.min.js with the lean first-layer config of that site
and language (`public_config(..., detail="banner")`) in place of `window.__KELISIM_CONFIG__`, so the
banner shows after one request. Without `lang` the language is the best Accept-Language match
(`Vary: Accept-Language`), else the catalogue's default; an unknown `lang` counts as missing, and
an unknown `site` gets the runtime without a config (it then asks /api/v1/config, which says what is
wrong). The runtime is public, so it is served to any origin (`Access-Control-Allow-Origin: *`) and
cached: a strong ETag is the hash of the exact bytes (runtime and config), so a revalidation costs a
304, and a URL carrying that hash (`/cmp.js?...&v=<etag>`) may be cached for a year. The CSS is in
cmp.min.js so the banner can style itself through a `<style nonce>` under a nonce-only `style-src`;
/cmp.css stays available for sites that self-host the plain cmp.js (it then links it).

static/cmp.min.js is built by scripts/build-cmp (terser, a dev-time tool: the server and CI need no
npm) and committed. Its first line records the sha256 of the cmp.js and cmp.css it was built from;
tests/test_banner.py fails when they no longer match the sources. That line is not served.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from cmp.regions import regional_config
from cmp.settings import PROJECT_ROOT
from cmp.web.after_record import region_rule

bp = Blueprint("banner", __name__)

STATIC_DIR = PROJECT_ROOT / "static"
SOURCES = ("cmp.js", "cmp.css")
MINIFIED = "cmp.min.js"
CSS_PLACEHOLDER = '"__KELISIM_CSS__"'
# A free global in cmp.js: terser can neither rename nor fold it, so it is in cmp.min.js verbatim.
CONFIG_PLACEHOLDER = "window.__KELISIM_CONFIG__"
DEFAULT_SITE = "default"
HEADER_RE = re.compile(
    r"^/\*! kelisim cmp\.min\.js: cmp\.js sha256:([0-9a-f]{64}) cmp\.css sha256:([0-9a-f]{64}) \*/$"
)
# A plain GET of /cmp.js revalidates after an hour: a fix to the runtime reaches every visitor the
# same day. A versioned URL names one exact content and never changes.
MAX_AGE = 3600
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    mimetype: str


def compact_js(source: str) -> str:
    """cmp.js without blank lines, full-line `//` comments and indentation."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def compact_css(source: str) -> str:
    return "".join(line.strip() for line in source.splitlines()).replace(";}", "}")


def source_digests(static_dir: Path = STATIC_DIR) -> tuple[str, str]:
    """sha256 of cmp.js and cmp.css as they are now."""
    js, css = (hashlib.sha256((static_dir / name).read_bytes()).hexdigest() for name in SOURCES)
    return js, css


def header(digests: tuple[str, str]) -> str:
    return f"/*! kelisim cmp.min.js: cmp.js sha256:{digests[0]} cmp.css sha256:{digests[1]} */"


def recorded_digests(minified: str) -> tuple[str, str] | None:
    """The source hashes cmp.min.js was built from, or None without a well-formed first line."""
    found = HEADER_RE.match(minified.split("\n", 1)[0])
    return (found[1], found[2]) if found else None


def prepare_source(static_dir: Path = STATIC_DIR) -> str:
    """cmp.js with the compacted cmp.css in its slot: what scripts/build-cmp hands to terser."""
    source = (static_dir / "cmp.js").read_text(encoding="utf-8")
    if CSS_PLACEHOLDER not in source:
        raise ValueError(f"{static_dir / 'cmp.js'} has no {CSS_PLACEHOLDER} for the stylesheet")
    if source.count(CONFIG_PLACEHOLDER) != 1:
        raise ValueError(f"{static_dir / 'cmp.js'} must name {CONFIG_PLACEHOLDER} exactly once")
    css = compact_css((static_dir / "cmp.css").read_text(encoding="utf-8"))
    # json.dumps escapes everything outside ASCII: the result is a safe JavaScript string literal.
    return source.replace(CSS_PLACEHOLDER, json.dumps(css), 1)


@dataclass(frozen=True)
class Runtime:
    script: str  # cmp.min.js without its first line, CONFIG_PLACEHOLDER still in it
    css: Asset


def build_runtime(static_dir: Path = STATIC_DIR) -> Runtime:
    """Raises ValueError if cmp.min.js is missing its header or its config slot."""
    minified = (static_dir / MINIFIED).read_text(encoding="utf-8")
    first, _, script = minified.partition("\n")
    if recorded_digests(first) is None or script.count(CONFIG_PLACEHOLDER) != 1:
        raise ValueError(f"{static_dir / MINIFIED} is not a build of scripts/build-cmp")
    css = compact_css((static_dir / "cmp.css").read_text(encoding="utf-8"))
    return Runtime(script=script, css=_asset(css.encode("utf-8"), "text/css"))


def _asset(data: bytes, mimetype: str) -> Asset:
    return Asset(body=data, etag=hashlib.sha256(data).hexdigest()[:32], mimetype=mimetype)


_runtimes: dict[Path, tuple[tuple[int, ...], Runtime]] = {}
_scripts: dict[tuple[str, str], Asset] = {}


def runtime() -> Runtime:
    """The built runtime, re-read when a file changes (a developer rebuilds cmp.min.js live)."""
    static_dir = Path(current_app.config.get("KELISIM_STATIC_DIR", STATIC_DIR))
    stamp = tuple(
        value
        for name in (MINIFIED, "cmp.css")
        for stat in [(static_dir / name).stat()]
        for value in (stat.st_mtime_ns, stat.st_size)
    )
    cached = _runtimes.get(static_dir)
    if cached is None or cached[0] != stamp:
        cached = (stamp, build_runtime(static_dir))
        _runtimes[static_dir] = cached
    return cached[1]


def script_with_config(script: str, config: dict | None) -> Asset:
    """The runtime with `config` embedded (a JSON text is a JavaScript expression), memoised."""
    embedded = (
        "null" if config is None else json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    )
    key = (script, embedded)
    asset = _scripts.get(key)
    if asset is None:
        if len(_scripts) > 64:
            _scripts.clear()
        data = script.replace(CONFIG_PLACEHOLDER, embedded, 1).encode("utf-8")
        asset = _scripts[key] = _asset(data, "text/javascript")
    return asset


def _serve(asset: Asset) -> Response:
    response = Response(asset.body, mimetype=asset.mimetype)
    response.charset = "utf-8"
    response.set_etag(asset.etag)
    versioned = request.args.get("v") == asset.etag
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_MAX_AGE if versioned else MAX_AGE
    if versioned:
        response.cache_control.immutable = True
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def regional_banner_config(config: dict, address: str | None) -> dict:
    region = current_app.extensions["kelisim"].context.read(address, None).region
    return regional_config(config, region_rule(region))


@bp.get("/cmp.js")
def script() -> Response:
    catalogue = current_app.extensions["kelisim"].catalogue
    site_id = request.args.get("site", DEFAULT_SITE)
    language = request.args.get("lang")
    negotiated = language not in catalogue.languages
    if negotiated:
        language = request.accept_languages.best_match(
            catalogue.languages, default=catalogue.default_language
        )
    config = None
    if site_id in catalogue.sites:
        config = catalogue.public_config(site_id, language, "banner")
        if catalogue.regions:
            config = regional_banner_config(config, request.remote_addr)
    response = _serve(script_with_config(runtime().script, config))
    if catalogue.regions:
        # The embedded config follows the visitor's region (cmp.regions): no shared cache.
        response.cache_control.public = False
        response.cache_control.private = True
    if negotiated:
        response.vary.add("Accept-Language")
    return response.make_conditional(request)


@bp.get("/cmp.css")
def stylesheet() -> Response:
    return _serve(runtime().css).make_conditional(request)
