"""Serves the browser runtime: /cmp.js (minified, cmp.css inlined, the site's config embedded),
/cmp-settings.js (the banner's second layer, loaded by cmp.js when first needed), /bootstrap.js
(the synchronous gate with the vendors' rules embedded) and /cmp.css.

`/cmp.js?site=default&lang=ru` is src/kelisim/web/static/cmp.min.js with the lean first-layer config
of that site and language (`public_config(..., detail="banner")`) in place of
`window.__KELISIM_CONFIG__`, so the banner shows after one request. Without `lang` the language is
the best Accept-Language match (`Vary: Accept-Language`), else the catalogue's default; an unknown
`lang` counts as missing, and an unknown `site` gets the runtime without a config (it then asks
/api/v1/config, which says what is wrong). The runtime is public, so it is served to any origin
(`Access-Control-Allow-Origin: *`) and cached: a strong ETag is the hash of the exact bytes (runtime
and config), so a revalidation costs a 304, and a URL carrying that hash (`/cmp.js?...&v=<etag>`)
may be cached for a year. The CSS is in cmp.min.js so the banner can style itself through a `<style
nonce>` under a nonce-only `style-src`; /cmp.css stays available for sites that self-host the
runtime unbuilt (joined_runtime(), which then links it).

`/bootstrap.js?site=default` is src/kelisim/web/static/bootstrap.min.js
(src/kelisim/web/static/gate.js alone, minified) with the
catalogue's gating rules (each vendor's hosts, domains, urls and paths) in place of
`window.__KELISIM_RULES__`. The site puts it, or its text inlined with the page's nonce, before
every other script in `<head>`, so unmarked vendor tags are held too (docs/gating.md); cmp.js takes
over the gate it installed. Its rules change only with the catalogue, so it is cached like cmp.js.

`/cmp.js` is the gate (bootstrap.min.js without rules) followed by cmp.min.js, so a page without the
bootstrap is gated too; a page whose bootstrap installed the gate may ask for `/cmp.js?…&gate=0`
and save the gate's bytes (without a gate, cmp.js activates nothing and says so in the console).

`/cmp-settings.js` is src/kelisim/web/static/cmp-settings.min.js (cmp-settings.js minified,
cmp-settings.css inlined): the purposes and vendors of the settings layer and the deletion of a
refused vendor's cookies and storage, which a visitor answering the first layer never needs, so
/cmp.js does not carry them. cmp.js creates its `<script>` with the nonce the gate found, under the
versioned URL banner.py writes into cmp.js (`?v=<etag>`, cached for a year).

The runtime's source is split by concern into src/kelisim/web/static/cmp/ (RUNTIME_PARTS);
joined_runtime() puts the parts, in that order, into one IIFE, so the browser still gets one closure
and terser still shortens every local name. Its public API is declared in static/kelisim.d.ts.

src/kelisim/web/static/cmp.min.js (the joined runtime), cmp-settings.min.js and bootstrap.min.js
(gate.js) are built by scripts/build-cmp (terser, a dev-time tool: the server and CI need no npm)
and committed. Their first line records the sha256 of each source a file was built from (each part
of the runtime apart); tests/test_banner.py fails when they no longer match the sources. That line
is not served.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from kelisim.domain.hosts import gate_rules
from kelisim.domain.regions import regional_config
from kelisim.settings import STATIC_DIR
from kelisim.web.api.use_cases import region_rule
from kelisim.web.encoding import Encoded, encode

bp = Blueprint("banner", __name__)

# The runtime's parts, one concern each, in the order they share one closure (joined_runtime()).
RUNTIME_PARTS = tuple(
    f"cmp/{part}.js"
    for part in ("page", "activation", "signals", "consent", "config", "tabs", "banner", "api")
)
# The runtime's closure: the parts call the window W and the document D.
RUNTIME_OPEN = "((W, D) => {\n"
RUNTIME_CLOSE = "})(window, document);\n"
# The sources of each built file, in the order its header names them.
SOURCES = (*RUNTIME_PARTS, "cmp.css")
BOOTSTRAP_SOURCES = ("gate.js",)
SETTINGS_SOURCES = ("cmp-settings.js", "cmp-settings.css")
MINIFIED = "cmp.min.js"
BOOTSTRAP_MINIFIED = "bootstrap.min.js"
SETTINGS_MINIFIED = "cmp-settings.min.js"
CSS_PLACEHOLDER = '"__KELISIM_CSS__"'
# Free globals in the runtime and gate.js: terser can neither rename nor fold them, so they are in
# the built files verbatim.
CONFIG_PLACEHOLDER = "window.__KELISIM_CONFIG__"
RULES_PLACEHOLDER = "window.__KELISIM_RULES__"
# Where cmp.min.js gets the query that versions its settings layer's URL (`?v=<etag>`).
SETTINGS_PLACEHOLDER = "window.__KELISIM_SETTINGS__"
DEFAULT_SITE = "default"
HEADER_RE = re.compile(r"^/\*! kelisim ([a-z.-]+): ((?:[a-z./-]+ sha256:[0-9a-f]{64} ?)+)\*/$")
# A plain GET of /cmp.js revalidates after an hour: a fix to the runtime reaches every visitor the
# same day. A versioned URL names one exact content and never changes.
MAX_AGE = 3600
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
STALE_WHILE_REVALIDATE = 24 * 3600


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    mimetype: str
    # brotli and gzip variants, made once with the asset (kelisim.web.encoding).
    encoded: Encoded


def compact_js(source: str) -> str:
    """A script without blank lines, full-line `//` comments and indentation."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def compact_css(source: str) -> str:
    return "".join(line.strip() for line in source.splitlines()).replace(";}", "}")


def source_digests(
    static_dir: Path = STATIC_DIR, sources: tuple[str, ...] = SOURCES
) -> tuple[str, ...]:
    """sha256 of each source as it is now."""
    return tuple(hashlib.sha256((static_dir / name).read_bytes()).hexdigest() for name in sources)


def header(
    digests: tuple[str, ...], sources: tuple[str, ...] = SOURCES, built: str = MINIFIED
) -> str:
    pairs = zip(sources, digests, strict=True)
    named = " ".join(f"{name} sha256:{digest}" for name, digest in pairs)
    return f"/*! kelisim {built}: {named} */"


def recorded_digests(minified: str) -> tuple[str, ...] | None:
    """The source hashes a built file records, or None without a well-formed first line."""
    found = HEADER_RE.match(minified.split("\n", 1)[0])
    if not found:
        return None
    return tuple(re.findall(r"sha256:([0-9a-f]{64})", found[2]))


def joined_runtime(static_dir: Path = STATIC_DIR) -> str:
    """The runtime's parts in one IIFE: each part is a concern a reader finds alone, while the
    browser gets one closure whose local names terser can all shorten."""
    parts = ((static_dir / name).read_text(encoding="utf-8") for name in RUNTIME_PARTS)
    joined = "".join(part if part.endswith("\n") else part + "\n" for part in parts)
    return RUNTIME_OPEN + joined + RUNTIME_CLOSE


def prepare_source(static_dir: Path = STATIC_DIR, sources: tuple[str, ...] = SOURCES) -> str:
    """The runtime (or cmp-settings.js) with its compacted stylesheet in its slot: what
    scripts/build-cmp hands to terser."""
    *scripts, stylesheet = sources
    runtime = sources == SOURCES
    where = static_dir / "cmp" if runtime else static_dir / scripts[0]
    source = joined_runtime(static_dir) if runtime else where.read_text(encoding="utf-8")
    if source.count(CSS_PLACEHOLDER) != 1:
        raise ValueError(f"{where} must name {CSS_PLACEHOLDER} exactly once, for the stylesheet")
    slots = (CONFIG_PLACEHOLDER, SETTINGS_PLACEHOLDER) if runtime else ()
    for slot in slots:
        if source.count(slot) != 1:
            raise ValueError(f"{where} must name {slot} exactly once")
    css = compact_css((static_dir / stylesheet).read_text(encoding="utf-8"))
    # json.dumps escapes everything outside ASCII: the result is a safe JavaScript string literal.
    return source.replace(CSS_PLACEHOLDER, json.dumps(css), 1)


def prepare_bootstrap(static_dir: Path = STATIC_DIR) -> str:
    source = (static_dir / "gate.js").read_text(encoding="utf-8")
    if source.count(RULES_PLACEHOLDER) != 1:
        raise ValueError(f"{static_dir / 'gate.js'} must name {RULES_PLACEHOLDER} exactly once")
    return source


@dataclass(frozen=True)
class Runtime:
    # cmp.min.js without its first line, CONFIG_PLACEHOLDER still in it, the settings layer's
    # version in SETTINGS_PLACEHOLDER's place.
    script: str
    bootstrap: str  # bootstrap.min.js without its first line, RULES_PLACEHOLDER still in it
    css: Asset
    settings: Asset  # cmp-settings.min.js without its first line: the same for every site

    @property
    def gate(self) -> str:
        """The gate as /cmp.js carries it: no rules embedded (cmp.js gives them from its config)."""
        return self.bootstrap.replace(RULES_PLACEHOLDER, "null", 1)


def _built(static_dir: Path, name: str, *placeholders: str) -> str:
    minified = (static_dir / name).read_text(encoding="utf-8")
    first, _, script = minified.partition("\n")
    if recorded_digests(first) is None or any(script.count(p) != 1 for p in placeholders):
        raise ValueError(f"{static_dir / name} is not a build of scripts/build-cmp")
    return script


def build_runtime(static_dir: Path = STATIC_DIR) -> Runtime:
    """Raises ValueError if a built file is missing its header or its slot."""
    css = compact_css((static_dir / "cmp.css").read_text(encoding="utf-8"))
    settings = _asset(_built(static_dir, SETTINGS_MINIFIED).encode("utf-8"), "text/javascript")
    script = _built(static_dir, MINIFIED, CONFIG_PLACEHOLDER, SETTINGS_PLACEHOLDER)
    return Runtime(
        script=script.replace(SETTINGS_PLACEHOLDER, json.dumps(f"?v={settings.etag}"), 1),
        bootstrap=_built(static_dir, BOOTSTRAP_MINIFIED, RULES_PLACEHOLDER),
        css=_asset(css.encode("utf-8"), "text/css"),
        settings=settings,
    )


def _asset(data: bytes, mimetype: str) -> Asset:
    etag = hashlib.sha256(data).hexdigest()[:32]
    return Asset(body=data, etag=etag, mimetype=mimetype, encoded=encode(data, etag))


_runtimes: dict[Path, tuple[tuple[int, ...], Runtime]] = {}
_scripts: dict[tuple[str, str], Asset] = {}


def runtime() -> Runtime:
    """The built runtime, re-read when a file changes (a developer rebuilds cmp.min.js live)."""
    static_dir = Path(current_app.config.get("KELISIM_STATIC_DIR", STATIC_DIR))
    stamp = tuple(
        value
        for name in (MINIFIED, BOOTSTRAP_MINIFIED, SETTINGS_MINIFIED, "cmp.css")
        for stat in [(static_dir / name).stat()]
        for value in (stat.st_mtime_ns, stat.st_size)
    )
    cached = _runtimes.get(static_dir)
    if cached is None or cached[0] != stamp:
        cached = (stamp, build_runtime(static_dir))
        _runtimes[static_dir] = cached
    return cached[1]


def script_with_config(
    script: str, config: object | None, placeholder: str = CONFIG_PLACEHOLDER
) -> Asset:
    """A built script with `config` embedded (a JSON text is a JavaScript expression), memoised."""
    embedded = (
        "null" if config is None else json.dumps(config, ensure_ascii=False, separators=(",", ":"))
    )
    key = (script, embedded)
    asset = _scripts.get(key)
    if asset is None:
        if len(_scripts) > 64:
            _scripts.clear()
        data = script.replace(placeholder, embedded, 1).encode("utf-8")
        asset = _scripts[key] = _asset(data, "text/javascript")
    return asset


def _serve(asset: Asset) -> Response:
    """The variant the client accepts, with its own ETag; the versioned URL names the identity's."""
    variant = asset.encoded.choose(request.headers.get("Accept-Encoding"))
    response = Response(variant.body, mimetype=asset.mimetype)
    response.charset = "utf-8"
    response.set_etag(variant.etag)
    if variant.encoding:
        response.headers["Content-Encoding"] = variant.encoding
    response.vary.add("Accept-Encoding")
    versioned = request.args.get("v") == asset.etag
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_MAX_AGE if versioned else MAX_AGE
    if versioned:
        response.cache_control.immutable = True
    else:
        # A repeat visit within a day uses the copy at once and refreshes it in the background.
        response.cache_control.stale_while_revalidate = STALE_WHILE_REVALIDATE
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
    built = runtime()
    # The gate goes first, unless the page says its bootstrap installed it already (gate=0).
    script = built.script if request.args.get("gate") == "0" else built.gate + "\n" + built.script
    response = _serve(script_with_config(script, config))
    if catalogue.regions:
        # The embedded config follows the visitor's region (kelisim.domain.regions): no shared
        # cache.
        response.cache_control.public = False
        response.cache_control.private = True
    if negotiated:
        response.vary.add("Accept-Language")
    return response.make_conditional(request)


@bp.get("/bootstrap.js")
def bootstrap() -> Response:
    """The gate alone, with the rules of every vendor: the rules are the catalogue's, not a site's,
    so `site` (which the documented URL carries for symmetry with /cmp.js) changes nothing."""
    catalogue = current_app.extensions["kelisim"].catalogue
    response = _serve(
        script_with_config(runtime().bootstrap, gate_rules(catalogue.vendors), RULES_PLACEHOLDER)
    )
    return response.make_conditional(request)


@bp.get("/cmp-settings.js")
def settings_layer() -> Response:
    """The banner's second layer, which cmp.js loads when Settings opens or before deleting: the
    same for every site and language (its texts come with the full config), so one cached copy
    serves them all; cmp.js asks for it under its versioned URL."""
    return _serve(runtime().settings).make_conditional(request)


@bp.get("/cmp.css")
def stylesheet() -> Response:
    return _serve(runtime().css).make_conditional(request)


_static: dict[tuple[str, str], Encoded] = {}
STATIC_TYPES = ("text/css", "text/javascript", "application/javascript")


@bp.after_app_request
def compress_static(response: Response) -> Response:
    """Blueprint static files (the receipt's stylesheet) get the same brotli / gzip variants."""
    endpoint = request.endpoint or ""
    if not endpoint.endswith(".static") or response.mimetype not in STATIC_TYPES:
        return response
    response.vary.add("Accept-Encoding")
    etag, _ = response.get_etag()
    if response.status_code != 200 or etag is None or "Content-Encoding" in response.headers:
        return response
    response.direct_passthrough = False
    key = (request.path, etag)
    encoded = _static.get(key)
    if encoded is None:
        if len(_static) > 64:
            _static.clear()
        encoded = _static[key] = encode(response.get_data(), etag)
    variant = encoded.choose(request.headers.get("Accept-Encoding"))
    if variant.encoding is None:
        return response
    # The file the response would have streamed is replaced by the compressed copy: close it now,
    # or every compressed answer from the cache leaks an open file.
    streamed = response.response
    if hasattr(streamed, "close"):
        streamed.close()
    response.set_data(variant.body)
    response.set_etag(variant.etag)
    response.headers["Content-Encoding"] = variant.encoding
    # A revalidation of the compressed copy: the file's own check only knew the identity ETag.
    if variant.etag in request.if_none_match:
        response.status_code = 304
        response.set_data(b"")
    return response
