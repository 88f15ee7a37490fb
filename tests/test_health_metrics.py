"""/healthz, /readyz and the token-protected /metrics.

/readyz follows a real PostgreSQL server: 503 while it is stopped, 200 once it is back; the
metrics endpoint refuses a scrape without its token and counts what the API did.
"""

from __future__ import annotations

import secrets
import time

import pytest
from sqlalchemy import create_engine, text

from kelisim.web.app import create_app
from tests.conftest import make_settings
from tests.support.crash import pg_bin, pg_cluster

TOKEN = "metrics-" + "t" * 32


@pytest.fixture
def app(settings):
    application = create_app(settings.with_changes(metrics_token=TOKEN, consent_rate_per_network=2))
    yield application
    application.extensions["kelisim.limits"].close()
    application.extensions["kelisim"].close()


def test_healthz_and_readyz_answer_when_all_is_well(app):
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "signing_keys": "ok",
    }
    assert ready.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_schema_is_behind(app, settings):
    engine = create_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    engine.dispose()
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.get_json()["migrations"] == "behind"


def _consent(app, client):
    body = {
        "site": "default",
        "revision": app.extensions["kelisim"].catalogue.revision,
        "language": "ru",
        "action": "accept_all",
        "event_id": secrets.token_urlsafe(12),
    }
    return client.post("/api/v1/consent", json=body).status_code


def test_metrics_refuse_a_scrape_without_the_token(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_are_off_without_a_configured_token(settings):
    application = create_app(settings)
    try:
        assert application.test_client().get("/metrics").status_code == 404
    finally:
        application.extensions["kelisim.limits"].close()
        application.extensions["kelisim"].close()


def _value(text_: str, prefix: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text_.splitlines() if line.startswith(prefix)
    )


def test_metrics_count_consents_rejections_latency_and_checkpoint_age(app):
    from kelisim.web import metric_families as metrics

    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    statuses = [_consent(app, client) for _ in range(3)]
    assert statuses == [201, 201, 429]
    metrics.checkpoint_written(time.time() - 30)
    after = client.get("/metrics", headers=auth).get_data(as_text=True)

    def grew(prefix: str) -> float:
        return _value(after, prefix) - _value(before, prefix)

    assert grew('kelisim_consents_recorded_total{outcome="new"}') == 2
    assert grew('kelisim_consents_rejected_total{reason="rate_limited"}') >= 1
    assert grew('kelisim_request_duration_seconds_count{endpoint="/api/v1/consent"') >= 3
    age = _value(after, "kelisim_checkpoint_age_seconds ")
    assert 29 <= age <= 120


@pytest.mark.slow
@pytest.mark.skipif(pg_bin() is None, reason="no PostgreSQL server binaries (run scripts/setup)")
def test_readyz_follows_postgresql_going_away_and_coming_back(tmp_path):
    with pg_cluster() as cluster:
        application = create_app(make_settings(cluster.url, tmp_path))
        try:
            client = application.test_client()
            assert client.get("/readyz").status_code == 200
            cluster.stop()
            gone = client.get("/readyz")
            assert gone.status_code == 503 and gone.get_json()["database"] == "unreachable"
            assert client.get("/healthz").status_code == 200  # alive, just not ready
            cluster.start()
            deadline = time.monotonic() + 30
            while client.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "never ready again"
                time.sleep(0.5)
        finally:
            application.extensions["kelisim.limits"].close()
            application.extensions["kelisim"].close()
