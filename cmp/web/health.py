"""`/healthz` (the process answers) and `/readyz` (it can do its job) for balancers and probes.

A balancer should stop sending consents to a host whose database is gone, whose schema is behind
the code (a deploy that skipped `kelisim db upgrade`) or that has no key to sign tokens with; it
should not restart a process for that, which is why liveness and readiness are separate. Both
answer JSON, never cached, and say nothing about the host beyond which check failed.
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, json
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cmp.store import MIGRATIONS

bp = Blueprint("health", __name__)


@cache
def _migration_heads() -> frozenset[str]:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


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
    checks: dict[str, str] = {}
    try:
        with services.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = {
                    row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
                }
            except SQLAlchemyError:
                current = set()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == _migration_heads() else "behind"
    except SQLAlchemyError:
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    checks["signing_keys"] = "ok" if services.settings.token_keys else "missing"
    ready = all(value == "ok" for value in checks.values())
    return _answer(200 if ready else 503, {"status": "ready" if ready else "not ready", **checks})
