"""The test suite's own promise: each app test starts from a copy of one seeded database
(tests/conftest.py), which holds what a first start writes, and no test's writes reach another."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from kelisim.store.revision_tables import catalogue_revisions
from tests.conftest import make_settings

# Both runs record a consent and expect to be the only one that did: whichever runs second would
# see the first one's consent if writes leaked from test to test.
RUNS = ["first", "second"]


@pytest.mark.parametrize("run", RUNS)
def test_a_test_sees_none_of_the_consents_another_test_recorded(
    run, client, consent_body, consent_event_count
) -> None:
    assert consent_event_count() == 0
    response = client.post("/api/v1/consent", json=consent_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    # Negative control: the count does see a write, so the zero above means something.
    assert consent_event_count() == 1


def test_the_seeded_file_is_untouched_by_a_test_writing_to_its_copy(
    client, consent_body, consent_event_count, seeded_sqlite: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite seed file")
    assert client.post("/api/v1/consent", json=consent_body()).status_code == 201
    assert consent_event_count() == 1
    with closing(sqlite3.connect(seeded_sqlite)) as conn:
        assert conn.execute("SELECT count(*) FROM consent_events").fetchone() == (0,)
    wal = Path(f"{seeded_sqlite}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def _content(url: str) -> dict[str, object]:
    """What a first start leaves in a database, without the moments it happened at."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            revisions = conn.execute(
                select(catalogue_revisions.c.number, catalogue_revisions.c.content_hash)
            ).all()
            return {
                "tables": sorted(inspect(conn).get_table_names()),
                "migration": conn.execute(text("SELECT version_num FROM alembic_version")).all(),
                "revisions": [tuple(row) for row in revisions],
                "drafts": conn.execute(text("SELECT count(*) FROM catalogue_draft")).scalar_one(),
                "audit": conn.execute(text("SELECT actor, action FROM audit_log")).all(),
            }
    finally:
        engine.dispose()


def test_a_copy_holds_what_a_first_start_writes(app, database_url: str, tmp_path: Path) -> None:
    from kelisim.web.app import create_app

    fresh_url = f"sqlite:///{tmp_path / 'first-start.sqlite3'}"
    fresh = create_app(make_settings(fresh_url, tmp_path))
    try:
        assert _content(database_url) == _content(fresh_url)
    finally:
        fresh.extensions["kelisim"].close()
