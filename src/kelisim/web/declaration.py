"""The embeddable cookie declaration: GET /embed/declaration.js, /embed/declaration (an iframe
page) and /embed/declaration.json, each for `?site=` and `?lang=`.

Rendered per request from the live catalogue and the latest uploaded scan
(kelisim.domain.declaration), so
the lender's privacy page is as current as the banner. The script variant embeds the data in the
JavaScript itself: a page with a strict CSP then needs nothing but the script's nonce (no
connect-src for a fetch, no inline styles: its <style> carries the same nonce). The iframe variant
is a page of its own with its own CSP, framable only by the site's origins.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from kelisim.domain import declaration
from kelisim.settings import STATIC_DIR
from kelisim.web.admin.scans import scan_store
from kelisim.web.errors import quote, validation_error

__all__ = ["bp"]

bp = Blueprint("declaration", __name__, url_prefix="/embed")

STATIC = STATIC_DIR
MAX_AGE = 300


def _static(name: str) -> str:
    return (Path(STATIC) / name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON that is also safe inside a script: no "</script>", no U+2028/2029 line breaks."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).replace("</", "<\\/")


def _data() -> dict[str, Any]:
    catalogue = current_app.extensions["kelisim"].catalogue
    site_id = request.args.get("site", "default")
    language = request.args.get("lang", catalogue.default_language)
    errors = []
    if site_id not in catalogue.sites:
        errors.append({"field": "site", "message": f"unknown site {quote(site_id)}"})
    if language not in catalogue.languages:
        known = ", ".join(catalogue.languages)
        errors.append(
            {"field": "lang", "message": f"unknown language {quote(language)}; use {known}"}
        )
    if errors:
        raise validation_error(errors)
    runs = scan_store().runs(limit=1)
    scan = None
    if runs:
        latest = runs[0]
        scan = {
            "finished_at": latest.finished_at,
            "uploaded_at": latest.uploaded_at.isoformat(),
            "declaration": latest.declaration,
        }
    body = declaration.build(catalogue, language, scan)
    body["site"] = site_id
    return body


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/declaration.js")
def script() -> Response:
    source = _static("declaration.js")
    css = _static("declaration.css")
    body = source.replace("__KELISIM_DECLARATION_CSS__", _script_json(css), 1).replace(
        "__KELISIM_DECLARATION__", _script_json(_data()), 1
    )
    response = Response(body, mimetype="text/javascript")
    response.charset = "utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _cached(response)


@bp.get("/declaration.json")
def data() -> Response:
    response = Response(_script_json(_data()), mimetype="application/json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _cached(response)


@bp.get("/declaration")
def frame() -> Response:
    body = _data()
    catalogue = current_app.extensions["kelisim"].catalogue
    nonce = secrets.token_urlsafe(18)
    html = render_template(
        "declaration.html", data=body, labels=body["labels"], css=_static("declaration.css"),
        nonce=nonce,
    )  # fmt: skip
    response = Response(html, mimetype="text/html")
    ancestors = " ".join(catalogue.sites[body["site"]].origins) or "'none'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors {ancestors}"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return _cached(response)
