"""Scans: the scanner's upload API (POST /api/v1/scans) and the admin pages that read the runs.

The upload is a machine-to-machine JSON API under /api/v1 (the scanner's `--upload URL` posts
report.json there), authenticated by a bearer token from KELISIM_SCAN_UPLOAD_TOKENS compared in
constant time. It has its own blueprint so it sits outside the admin's session and CSRF machinery:
it reads no cookie, so a cross-site page cannot ride on anyone's login. Reports are bigger than
consent bodies (observations of every page in every state), so this one route allows 20 MB.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from kelisim.domain.bounds import parse_db_int
from kelisim.services.scans import FACETS, ScanStore, validate
from kelisim.web.admin.shell import bp, now, requires_role, services
from kelisim.web.errors import ApiError, validation_error

upload_bp = Blueprint("scans_api", __name__, url_prefix="/api/v1")

MAX_REPORT_BYTES = 20 * 1024 * 1024
# Parsed, a value costs 50-250 bytes in CPython: this caps a report at roughly 100-250 MB of
# objects in the worst case, while a real scan of a large site holds well under a tenth of it.
MAX_REPORT_VALUES = 1_000_000
_CHUNK_BYTES = 64 * 1024


def scan_store() -> ScanStore:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    built = app.extensions.get("kelisim_scans")
    if built is None:
        store = app.extensions["kelisim"].store
        built = ScanStore(store.engine, store.write_engine, services(app).audit, clock=now)
        app.extensions["kelisim_scans"] = built
    return built


def _uploader() -> str:
    """The token's short fingerprint (for the audit log), or a 401 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    tokens = current_app.extensions["kelisim"].settings.scan_upload_tokens
    matched = None
    if scheme.lower() == "bearer" and presented:
        for token in tokens:
            # Every configured token is compared, so timing tells nothing about which one matched.
            if hmac.compare_digest(token.encode(), presented.strip().encode()):
                matched = token
    if matched is None:
        raise ApiError(
            401,
            "Unauthorized",
            "Send a scan upload token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="kelisim-scans"'},
        )
    return "scanner:" + hashlib.sha256(matched.encode()).hexdigest()[:8]


def _too_large() -> ApiError:
    return ApiError(413, "Content Too Large", f"A report may be at most {MAX_REPORT_BYTES} bytes.")


def _too_many_values() -> ApiError:
    return ApiError(
        413,
        "Content Too Large",
        f"A report may hold at most {MAX_REPORT_VALUES} JSON values (objects, lists, items).",
    )


def _read_bounded(stream: Any, declared: int | None) -> bytes:
    """The body, read in chunks and refused as soon as it is too big or holds too many values.

    Memory after parsing depends on how many values a document holds, not on its size: twenty
    megabytes of `{},` are millions of dicts, well over half a gigabyte in a worker. Every value
    but the first is preceded by a comma, a `[` or a `{` (those inside strings count too, so the
    estimate only errs on the safe side); counting them while reading caps what json.loads can
    build, and nothing over the limit is ever parsed or even read to its end.
    """
    if (declared or 0) > MAX_REPORT_BYTES:
        raise _too_large()
    body = bytearray()
    values = 1
    while True:
        chunk = stream.read(_CHUNK_BYTES)
        if not chunk:
            return bytes(body)
        body += chunk
        values += chunk.count(b",") + chunk.count(b"[") + chunk.count(b"{")
        if len(body) > MAX_REPORT_BYTES:
            raise _too_large()
        if values > MAX_REPORT_VALUES:
            raise _too_many_values()


@upload_bp.post("/scans")
def upload_scan() -> Response:
    uploader = _uploader()
    if request.mimetype != "application/json":
        raise ApiError(415, "Unsupported Media Type", "Send report.json as application/json.")
    if (request.content_length or 0) > MAX_REPORT_BYTES:
        raise _too_large()
    # The app-wide body limit (16 KiB) is for consents; this one route takes reports.
    request.max_content_length = MAX_REPORT_BYTES
    raw = _read_bounded(request.stream, request.content_length)
    try:
        text = raw.decode("utf-8")
        del raw  # only one copy of the body at a time
        report = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise validation_error([{"field": "", "message": "the body is not valid JSON"}]) from None
    errors = validate(report)
    if errors:
        raise validation_error(errors)
    run_id = scan_store().save(report, text, uploader)
    body = {"id": run_id, "url": url_for("admin.scan", run_id=str(run_id), _external=True)}
    response = Response(json.dumps(body), status=201, mimetype="application/json")
    response.headers["Location"] = body["url"]
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/scans", methods=["GET"])
@requires_role("viewer")
def scans() -> Any:
    return render_template("admin/scans.html", runs=scan_store().runs())


@bp.route("/scans/<run_id>", methods=["GET"])
@requires_role("viewer")
def scan(run_id: str) -> Any:
    number = parse_db_int(run_id)
    if number is None:
        abort(404)
    store = scan_store()
    run = store.run(number)
    if run is None:
        abort(404)
    filters = {name: request.args.get(name) or None for name in FACETS}
    facets = {
        name: [
            (
                value,
                count,
                url_for(
                    "admin.scan",
                    run_id=run_id,
                    **{key: v for key, v in filters.items() if v and key != name},
                    **{name: value},
                ),
                filters[name] == value,
            )
            for value, count in counts.most_common()
        ]
        for name, counts in store.facets(run.id).items()
    }
    return render_template(
        "admin/scan.html",
        run=run,
        filters=filters,
        facets=facets,
        findings=store.findings(run.id, **filters),
        facet_names=FACETS,
    )
