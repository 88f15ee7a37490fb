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

from cmp.admin.shell import bp, now, requires_role, services
from cmp.errors import ApiError, validation_error
from cmp.scans import FACETS, ScanStore, validate

upload_bp = Blueprint("scans_api", __name__, url_prefix="/api/v1")

MAX_REPORT_BYTES = 20 * 1024 * 1024


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


@upload_bp.post("/scans")
def upload_scan() -> Response:
    uploader = _uploader()
    if request.mimetype != "application/json":
        raise ApiError(415, "Unsupported Media Type", "Send report.json as application/json.")
    if (request.content_length or 0) > MAX_REPORT_BYTES:
        raise _too_large()
    request.max_content_length = MAX_REPORT_BYTES
    raw = request.get_data(cache=False)
    if len(raw) > MAX_REPORT_BYTES:
        raise _too_large()
    try:
        text = raw.decode("utf-8")
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
    if not run_id.isdigit() or len(run_id) > 12:
        abort(404)
    store = scan_store()
    run = store.run(int(run_id))
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
