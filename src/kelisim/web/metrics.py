"""`GET /metrics` for Prometheus, behind KELISIM_METRICS_TOKEN, and the hooks that count.

Counting happens in one after-request hook instead of inside the API's views: a consent POST's
status already says whether it was recorded (201 new, 200 a faithful retry), shed (503) or refused
and why (kelisim.web.metric_families.REASONS), and a scan upload's says whether it was stored. The
views stay as they are, and nothing is counted twice. No token configured: the endpoint is off
(404); a wrong or missing token: 401, compared in constant time.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, current_app, g, request

from kelisim.web import metric_families as metrics

bp = Blueprint("metrics", __name__)

CONSENT_PATH = "/api/v1/consent"
SCANS_PATH = "/api/v1/scans"


@bp.get("/metrics")
def scrape() -> Response:
    token = current_app.extensions["kelisim"].settings.metrics_token
    if not token:
        return Response("metrics are off (KELISIM_METRICS_TOKEN)\n", 404, mimetype="text/plain")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        return Response(
            "a metrics token is needed: Authorization: Bearer <KELISIM_METRICS_TOKEN>\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="kelisim-metrics"', "Cache-Control": "no-store"},
            mimetype="text/plain",
        )
    return Response(
        metrics.exposition(),
        mimetype="text/plain; version=0.0.4",
        headers={"Cache-Control": "no-store"},
    )


def _started() -> None:
    g.kelisim_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.get("kelisim_started")
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    if started is not None:
        metrics.LATENCY.labels(endpoint=rule, method=request.method).observe(
            time.perf_counter() - started
        )
    status = response.status_code
    if request.method == "POST" and request.path == CONSENT_PATH:
        if status == 201:
            metrics.CONSENTS.labels(outcome="new").inc()
        elif status == 200:
            metrics.CONSENTS.labels(outcome="replayed").inc()
        elif status == 503:
            metrics.SHED.labels(where="app").inc()
        elif status >= 400:
            metrics.REJECTED.labels(reason=metrics.REASONS.get(status, f"http_{status}")).inc()
    elif request.method == "POST" and request.path == SCANS_PATH:
        metrics.SCAN_UPLOADS.labels(outcome="stored" if status == 201 else "refused").inc()
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_count)
