"""Crash tests: no acknowledged consent is ever lost, none stored twice.

Real processes: `kelisim serve --production` (gunicorn) in its own process group, 8 client threads
with their own event ids, then `kill -9` of the whole group — or `pg_ctl stop -m immediate` of the
database — mid-load. After a restart every acknowledged (2xx) event must be in the log, the clients'
retries of everything unacknowledged must land exactly once, and the hash chain must verify.

A crash test that cannot fail proves nothing, so the negative control runs the same harness against
PostgreSQL with `synchronous_commit=off` (which production mode refuses; the development server
runs it) and must observe loss. Loss there is timing-dependent, so it gets up to 5 tries.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.crash import (
    Load,
    LoadResult,
    Server,
    pg_bin,
    pg_cluster,
    production_env,
    retry_all,
)

pytestmark = pytest.mark.slow

LOAD_SECONDS = 2.0
CLIENTS = 8
NO_LIMITS = {"KELISIM_CONSENT_RATE_PER_NETWORK": "0", "KELISIM_CONSENT_RATE_PER_CONSENT": "0"}


def stored_event_ids(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT event_id FROM consent_events")).scalars())
    finally:
        engine.dispose()


def chain_ok(database_url: str) -> bool:
    from kelisim.store import ConsentStore

    store = ConsentStore(database_url)
    try:
        report = store.verify()
    finally:
        store.close()
    return report.ok


def settle_and_check(server: Server, database_url: str, result: LoadResult) -> dict[str, int]:
    """After the restart: acked all stored; retries land; no event stored twice; chain intact."""
    stored = stored_event_ids(database_url)
    lost = sorted(set(result.acked) - set(stored))
    retried = retry_all(server.port, result.unacked)
    assert all(200 <= status < 300 for status in retried.values()), retried
    assert set(retried) == set(result.unacked), "some retries never got an answer"
    # Clients also retry what was acknowledged but whose answer they might have missed: idempotent.
    sample = dict(list(result.acked.items())[:50])
    assert all(status == 200 for status in retry_all(server.port, sample).values())
    after = stored_event_ids(database_url)
    duplicates = len(after) - len(set(after))
    figures = {
        "acked": len(result.acked),
        "unacked": len(result.unacked),
        "stored_before_retry": len(stored),
        "lost": len(lost),
        "stored_after_retry": len(after),
        "duplicates": duplicates,
    }
    print(f"crash figures: {figures} statuses={result.statuses} client_errors={result.errors}")
    assert result.acked, "the load never got an acknowledgement: the test proved nothing"
    assert lost == [], f"{len(lost)} acknowledged consents lost: {lost[:5]}"
    assert duplicates == 0
    assert set(after) == set(result.acked) | set(result.unacked)
    assert chain_ok(database_url)
    return figures


@pytest.mark.parametrize("run", [1, 2, 3])
def test_kill_9_of_the_production_server_loses_no_acknowledged_consent(
    tmp_path: Path, run: int
) -> None:
    database = tmp_path / "kelisim.sqlite3"
    database_url = f"sqlite:///{database}"
    env = production_env(database_url, tmp_path / "var", **NO_LIMITS)
    server = Server(env, tmp_path / "server.log").start()
    try:
        load = Load(server.port, CLIENTS).start()
        time.sleep(LOAD_SECONDS)
        server.kill()
        result = load.stop()
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        server.start()
        settle_and_check(server, database_url, result)
    finally:
        server.stop()


needs_pg = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server binaries not installed")


@needs_pg
def test_immediate_stop_of_postgresql_loses_no_acknowledged_consent(tmp_path: Path) -> None:
    with pg_cluster() as cluster:
        env = production_env(cluster.url, tmp_path / "var", **NO_LIMITS)
        server = Server(env, tmp_path / "server.log").start()
        try:
            load = Load(server.port, CLIENTS).start()
            time.sleep(LOAD_SECONDS)
            cluster.stop("immediate")
            time.sleep(0.3)  # the clients see the outage: 503s, nothing acknowledged
            result = load.stop()
            cluster.start()
            settle_and_check(server, cluster.url, result)
        finally:
            server.stop()


@needs_pg
def test_negative_control_asynchronous_commit_loses_acknowledged_consents(
    tmp_path: Path,
) -> None:
    """Proof that the harness can fail: with synchronous_commit=off an immediate stop loses acks."""
    options = {"synchronous_commit": "off", "wal_writer_delay": "10000ms"}
    tries: list[dict[str, int]] = []
    with pg_cluster(options) as cluster:
        env = production_env(cluster.url, tmp_path / "var", **NO_LIMITS)
        # Production mode must refuse this database outright…
        refused = Server(env, tmp_path / "refused.log")
        with pytest.raises(RuntimeError, match="exited with 2"):
            refused.start(timeout=30)
        assert "synchronous_commit is off" in (tmp_path / "refused.log").read_text()
        # …so the control runs the development server.
        server = Server(env, tmp_path / "server.log", production=False).start()
        try:
            for _ in range(5):
                load = Load(server.port, CLIENTS).start()
                time.sleep(LOAD_SECONDS)
                cluster.stop("immediate")
                result = load.stop()
                cluster.start()
                stored = set(stored_event_ids(cluster.url))
                lost = len(set(result.acked) - stored)
                tries.append({"acked": len(result.acked), "lost": lost})
                if lost:
                    break
        finally:
            server.stop()
    print(f"negative control (synchronous_commit=off): {tries}")
    assert any(entry["lost"] > 0 for entry in tries), f"no loss observed in {tries}"
