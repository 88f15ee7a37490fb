"""`/healthz` (the process answers) and `/readyz` (it can do its job) for balancers and probes.

A balancer should stop sending consents to a host whose database is gone, whose schema is behind
the code (a deploy that skipped `kelisim db upgrade`) or that has no key to sign tokens with; it
should not restart a process for that, which is why liveness and readiness are separate. Both
answer JSON, never cached, and say nothing about the host beyond which check failed.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json

from kelisim.store.readiness import database_checks

bp = Blueprint("health", __name__)


def _answer(status: int, body: dict[str, object]) -> Response:
    return Response(
        json.dumps(body, sort_keys=True),
        status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


@bp.get("/healthz")
def healthz() -> Response:
    return _answer(200, {"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    services = current_app.extensions["kelisim"]
    checks = database_checks(services.store.engine)
    checks["signing_keys"] = "ok" if services.settings.token_keys else "missing"
    ready = all(value == "ok" for value in checks.values())
    return _answer(200 if ready else 503, {"status": "ready" if ready else "not ready", **checks})
