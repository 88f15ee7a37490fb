"""Serves the browser runtime: /cmp.js (with cmp.css inlined) and /cmp.css.

The runtime is public, so it is served to any origin (`Access-Control-Allow-Origin: *`) and cached:
a strong ETag is the hash of the exact bytes, so a revalidation costs a 304, and a URL carrying that
hash (`/cmp.js?v=<etag>`) may be cached for a year. The CSS is inlined into cmp.js so the banner
needs one request and can style itself through a `<style nonce>` under a nonce-only `style-src`;
/cmp.css stays available for sites that self-host cmp.js as a plain file (it then links it).

cmp.js is hand-written without a build step; what is served drops its full-line `//` comments and
indentation (cmp.js keeps every comment on a line of its own and never splits a string over lines,
so this is safe), which is what the size budget in bench/banner.py measures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from cmp.settings import PROJECT_ROOT

bp = Blueprint("banner", __name__)

STATIC_DIR = PROJECT_ROOT / "static"
CSS_PLACEHOLDER = '"__KELISIM_CSS__"'
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
    return "".join(line.strip() for line in source.splitlines())


def _asset(body: str, mimetype: str) -> Asset:
    data = body.encode("utf-8")
    return Asset(body=data, etag=hashlib.sha256(data).hexdigest()[:32], mimetype=mimetype)


def build_assets(static_dir: Path = STATIC_DIR) -> dict[str, Asset]:
    """Both served files, built from static/; raises ValueError if cmp.js lost its CSS slot."""
    source = (static_dir / "cmp.js").read_text(encoding="utf-8")
    css = compact_css((static_dir / "cmp.css").read_text(encoding="utf-8"))
    if CSS_PLACEHOLDER not in source:
        raise ValueError(f"{static_dir / 'cmp.js'} has no {CSS_PLACEHOLDER} for the stylesheet")
    # json.dumps escapes everything outside ASCII: the result is a safe JavaScript string literal.
    js = compact_js(source).replace(CSS_PLACEHOLDER, json.dumps(css), 1)
    return {
        "cmp.js": _asset(js, "text/javascript"),
        "cmp.css": _asset(css, "text/css"),
    }


_cache: dict[Path, tuple[tuple[int, ...], dict[str, Asset]]] = {}


def assets() -> dict[str, Asset]:
    """The built assets, rebuilt when a source file changes (a developer edits cmp.js live)."""
    static_dir = Path(current_app.config.get("KELISIM_STATIC_DIR", STATIC_DIR))
    stamp = tuple(
        value
        for name in ("cmp.js", "cmp.css")
        for stat in [(static_dir / name).stat()]
        for value in (stat.st_mtime_ns, stat.st_size)
    )
    cached = _cache.get(static_dir)
    if cached is None or cached[0] != stamp:
        cached = (stamp, build_assets(static_dir))
        _cache[static_dir] = cached
    return cached[1]


def _serve(name: str) -> Response:
    asset = assets()[name]
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
    return response.make_conditional(request)


@bp.get("/cmp.js")
def script() -> Response:
    return _serve("cmp.js")


@bp.get("/cmp.css")
def stylesheet() -> Response:
    return _serve("cmp.css")
