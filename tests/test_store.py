"""The consent log on SQLite and PostgreSQL: durable idempotent appends, and tamper evidence.

Tampering is done the way an insider would: raw SQL through a separate connection, or (SQLite)
editing bytes of the database file, never through the store's own API.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from kelisim.store import ConsentStore, EventConflict, NewEvent, StoredEvent, leaves, merkle
from kelisim.store.note import Signer
from kelisim.store.schema import metadata

RECORDED = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)


def make_event(number: int = 1, **changes: object) -> NewEvent:
    values: dict[str, object] = {
        "event_id": f"evt-{number:08d}",
        "consent_id": f"consent-{number % 7:04d}",
        "site": "default",
        "action": "custom",
        "status": "given",
        "grants": {"google_analytics": True, "yandex_metrika": False, "vk": number % 2 == 0},
        "purposes": {"necessary": "granted", "analytics": "partial", "marketing": "denied"},
        "revision": 1,
        "catalogue_hash": "sha256:" + "ab" * 32,
        "language": "ru",
        "page": f"https://creditplus.kz/loans/{number}",
        "region": "KZ-ALA",
        "device_class": "mobile",
        "is_bot": False,
        "ip_prefix": "2.72.10.0/24",
        "ip_hmac": "c0ffee" * 10 + "beef",
        "gpc": False,
        "recorded_at": RECORDED + timedelta(seconds=number),
        "expires_at": RECORDED + timedelta(days=180, seconds=number),
    }
    values.update(changes)
    return NewEvent(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(database_url: str) -> Iterator[ConsentStore]:
    consent_store = ConsentStore(database_url)
    consent_store.upgrade()
    yield consent_store
    consent_store.close()


@pytest.fixture
def raw(database_url: str, store: ConsentStore) -> Iterator[Engine]:
    """A connection of the store's own kind but outside it: what an insider with SQL access has."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def fill(store: ConsentStore, count: int) -> list[StoredEvent]:
    return [store.append(make_event(n))[0] for n in range(1, count + 1)]


def rewrite_history(raw: Engine, seq: int, **changes: str) -> None:
    """What an insider with SQL access and the code can do: change a row, then recompute its
    fingerprint, its leaf hash and every stored subtree hash, so rows and tree agree again."""
    with raw.begin() as conn:
        for name, value in changes.items():
            conn.execute(text(f"UPDATE consent_events SET {name} = :v WHERE seq = :seq"),
                         {"v": value, "seq": seq})  # fmt: skip
    store = ConsentStore(raw.url.render_as_string(hide_password=False))
    events: list[StoredEvent] = []
    try:
        while (event := store.event_at(len(events) + 1)) is not None:
            events.append(event)
    finally:
        store.close()
    tree = merkle.CompactTree()
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM log_hashes"))
        for event in events:
            leaf_hash = merkle.leaf_hash(event.leaf())
            fingerprint = leaves.request_fingerprint(leaves.event_fields(event))
            conn.execute(
                text("UPDATE consent_events SET request_fingerprint = :f WHERE seq = :seq"),
                {"f": fingerprint, "seq": event.seq},
            )
            conn.execute(text("UPDATE consent_events SET hash = :h WHERE seq = :seq"),
                         {"h": leaf_hash.hex(), "seq": event.seq})  # fmt: skip
            for index, value in tree.append(leaf_hash):
                conn.execute(text("INSERT INTO log_hashes (id, hash) VALUES (:i, :h)"),
                             {"i": index, "h": value})  # fmt: skip


def assert_event_matches(stored: StoredEvent, sent: NewEvent) -> None:
    for name in NewEvent.__dataclass_fields__:
        assert getattr(stored, name) == getattr(sent, name), name


# --- appending and reading -----------------------------------------------------------------------


def test_append_records_the_event_and_history_returns_it(store: ConsentStore) -> None:
    event = make_event(1)
    stored, created = store.append(event)
    assert created
    assert stored.seq == 1
    assert_event_matches(stored, event)
    assert stored.recorded_at.tzinfo is not None
    assert store.history(event.consent_id) == [stored]
    assert store.latest(event.consent_id) == stored


def test_history_is_oldest_first_and_latest_is_the_newest(store: ConsentStore) -> None:
    first = store.append(make_event(1, consent_id="visitor-a", action="accept_all"))[0]
    store.append(make_event(2, consent_id="visitor-b"))
    last = store.append(make_event(3, consent_id="visitor-a", action="withdraw"))[0]
    assert [e.seq for e in store.history("visitor-a")] == [first.seq, last.seq]
    assert store.latest("visitor-a") == last
    assert store.latest("nobody") is None
    assert store.history("nobody") == []


def test_times_are_stored_as_utc_whatever_zone_they_were_given_in(store: ConsentStore) -> None:
    almaty = datetime(2026, 11, 24, 14, 30, 15, 123456, tzinfo=UTC).astimezone(
        ZoneInfo("Asia/Almaty")
    )
    stored, _ = store.append(make_event(1, recorded_at=almaty))
    assert stored.recorded_at == almaty
    assert stored.recorded_at.utcoffset() == timedelta(0)


def test_a_retry_returns_the_same_event_and_records_it_once(
    store: ConsentStore, raw: Engine
) -> None:
    event = make_event(1)
    first, created = store.append(event)
    # A retry carries a new server time and may come from another network: still the same request.
    retry = replace(
        event,
        recorded_at=event.recorded_at + timedelta(seconds=3),
        ip_prefix="5.18.1.0/24",
        ip_hmac="ff" * 32,
        region=None,
    )
    again, created_again = store.append(retry)
    assert created and not created_again
    assert again == first
    with raw.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM consent_events")).scalar() == 1


def test_event_id_reused_with_other_content_is_a_conflict(store: ConsentStore) -> None:
    event = make_event(1)
    store.append(event)
    with pytest.raises(EventConflict):
        store.append(replace(event, grants={**event.grants, "yandex_metrika": True}))
    with pytest.raises(EventConflict):
        store.append(replace(event, consent_id="someone-else"))
    assert len(store.history(event.consent_id)) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"recorded_at": datetime(2026, 11, 24, 9, 30)},
        {"event_id": ""},
        {"event_id": "x" * 65},
        {"page": "https://x.kz/\x00"},
        {"is_bot": 1},
        {"grants": {"vk": "yes"}},
        {"revision": "1"},
    ],
)
def test_values_that_cannot_be_stored_faithfully_are_refused(
    store: ConsentStore, changes: dict
) -> None:
    with pytest.raises(ValueError):
        store.append(make_event(1, **changes))
    assert store.verify().checked == 0


def test_concurrent_appends_form_one_unbroken_chain(
    database_url: str, store: ConsentStore, raw: Engine
) -> None:
    threads, per_thread = 8, 25
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        worker_store = ConsentStore(database_url)  # as a separate gunicorn worker would have
        try:
            start.wait()
            for n in range(per_thread):
                number = index * 1000 + n
                stored, created = worker_store.append(make_event(number))
                assert created and stored.event_id == f"evt-{number:08d}"
        except BaseException as error:
            errors.append(error)
        finally:
            worker_store.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    with raw.connect() as conn:
        seqs = conn.execute(text("SELECT seq FROM consent_events ORDER BY seq")).scalars().all()
        distinct = conn.execute(
            text("SELECT count(DISTINCT event_id) FROM consent_events")
        ).scalar()
    assert seqs == list(range(1, threads * per_thread + 1))
    assert distinct == threads * per_thread
    report = store.verify()
    assert report.ok, report.problems
    assert report.checked == threads * per_thread


def test_concurrent_retries_of_one_event_record_it_once(
    database_url: str, store: ConsentStore
) -> None:
    threads = 8
    results: list[tuple[int, bool]] = []
    start = threading.Barrier(threads)
    lock = threading.Lock()

    def worker() -> None:
        worker_store = ConsentStore(database_url)
        try:
            start.wait()
            stored, created = worker_store.append(make_event(7))
            with lock:
                results.append((stored.seq, created))
        finally:
            worker_store.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(results) == threads
    assert {seq for seq, _ in results} == {1}
    assert sum(created for _, created in results) == 1
    assert store.verify().ok


# --- snapshots and schema ------------------------------------------------------------------------


def test_catalogue_snapshot_is_saved_once_and_read_back(store: ConsentStore, raw: Engine) -> None:
    body = {"revision": 2, "texts": {"ru": {"title": "Мы используем cookie"}}, "vendors": []}
    store.save_snapshot("sha256:" + "cd" * 32, 2, body)
    store.save_snapshot("sha256:" + "cd" * 32, 2, body)
    assert store.snapshot("sha256:" + "cd" * 32) == body
    assert store.snapshot("sha256:unknown") is None
    with raw.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM catalogue_snapshots")).scalar() == 1


def test_upgrade_twice_changes_nothing(store: ConsentStore, raw: Engine) -> None:
    stored, _ = store.append(make_event(1))
    with raw.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    store.upgrade()
    with raw.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == version
    assert store.latest(stored.consent_id) == stored
    assert store.verify().ok


def test_workers_upgrading_a_fresh_database_at_once_all_succeed(database_url: str) -> None:
    """Cold start of several workers: WAL switch and migrations must not race."""
    threads = 4
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker() -> None:
        worker_store = ConsentStore(database_url)
        try:
            start.wait()
            worker_store.upgrade()
            worker_store.append(make_event(1))
        except BaseException as error:
            errors.append(error)
        finally:
            worker_store.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    check = ConsentStore(database_url)
    try:
        assert check.verify().checked == 1
    finally:
        check.close()


def test_migrated_schema_matches_the_query_tables(store: ConsentStore, raw: Engine) -> None:
    inspector = inspect(raw)
    for table in metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
    unique = inspector.get_unique_constraints("consent_events")
    assert [u["column_names"] for u in unique] == [["event_id"]]


def test_sqlite_store_connections_are_wal_with_full_sync(sqlite_url: str) -> None:
    first = ConsentStore(sqlite_url)
    first.upgrade()
    first.close()
    # A store that never ran upgrade(): WAL must come from the file, not from its own connections.
    store = ConsentStore(sqlite_url)
    try:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        store.close()


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'deeper' / 'kelisim.sqlite3'}"
    store = ConsentStore(url)
    try:
        store.upgrade()
        assert store.append(make_event(1))[1]
    finally:
        store.close()
    assert Path(make_url(url).database).exists()


# --- verify: an intact tree, and every kind of tampering -----------------------------------------


def test_intact_log_verifies_and_its_root_is_the_rfc6962_root_of_the_leaves(
    store: ConsentStore,
) -> None:
    assert store.verify().ok
    events = fill(store, 5)
    report = store.verify()
    assert report.ok, report.problems
    assert report.checked == 5
    assert [event.leaf_index for event in events] == [0, 1, 2, 3, 4]
    leaf_hashes = [merkle.leaf_hash(event.leaf()) for event in events]
    assert [event.hash for event in events] == [h.hex() for h in leaf_hashes]
    # RFC 6962 MTH for five leaves, written out: ((0 1)(2 3)) 4.
    n = merkle.node_hash
    expected = n(
        n(n(leaf_hashes[0], leaf_hashes[1]), n(leaf_hashes[2], leaf_hashes[3])), leaf_hashes[4]
    )
    assert store.log.root(5) == expected
    proof = store.log.inclusion_proof(2, 5)
    merkle.verify_inclusion(2, 5, leaf_hashes[2], proof, expected)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(3, 5, leaf_hashes[2], proof, expected)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_events SET page = 'https://creditplus.kz/loans/X' WHERE seq = 3",
        # "\\:" keeps SQLAlchemy from reading ":false" as a bind parameter.
        "UPDATE consent_events SET grants = replace(grants, '\"yandex_metrika\"\\:false', "
        "'\"yandex_metrika\"\\:true') WHERE seq = 3",
        "UPDATE consent_events SET status = 'refused' WHERE seq = 3",
        "UPDATE consent_events SET gpc = NOT gpc WHERE seq = 3",
        "UPDATE consent_events SET revision = revision + 1 WHERE seq = 3",
        "UPDATE consent_events SET ip_hmac = NULL WHERE seq = 3",
        "UPDATE consent_events SET recorded_at = expires_at WHERE seq = 3",
    ],
)
def test_a_changed_row_is_reported_by_seq(store: ConsentStore, raw: Engine, statement: str) -> None:
    fill(store, 5)
    with raw.begin() as conn:
        assert conn.execute(text(statement)).rowcount == 1
    report = store.verify()
    assert not report.ok
    assert report.problems == ["leaf 2: content changed (leaf hash mismatch)"]
    assert report.first_bad_leaf == 2


def test_an_edited_leaf_hash_is_reported_against_the_row_and_the_tree(
    store: ConsentStore, raw: Engine
) -> None:
    fill(store, 5)
    with raw.begin() as conn:
        conn.execute(text("UPDATE consent_events SET hash = :h WHERE seq = 3"), {"h": "1" * 64})
    report = store.verify()
    assert report.problems == [
        "leaf 2: content changed (leaf hash mismatch)",
        "leaf 2: stored tree hash 3 does not match the leaf hashes",
    ]


def test_an_insider_who_recomputes_every_hash_is_caught_by_the_signed_checkpoint(
    store: ConsentStore, raw: Engine
) -> None:
    fill(store, 5)
    assert store.log.sign(Signer.generate("test.kelisim.kz/log")) is not None
    rewrite_history(raw, seq=3, action="reject_all")
    report = store.verify()
    assert report.problems == [
        "checkpoint of tree size 5: the rows now hash to another root; history was rewritten "
        "in leaves 0..4"
    ]
    assert report.first_bad_leaf == 0


def test_a_deleted_row_is_reported(store: ConsentStore, raw: Engine) -> None:
    fill(store, 5)
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM consent_events WHERE seq = 3"))
    report = store.verify()
    assert not report.ok
    assert report.problems[0] == "leaf 2: missing (rows removed before leaf 3)"
    assert report.first_bad_leaf == 2


def test_deleted_last_rows_are_reported_through_the_log_head(
    store: ConsentStore, raw: Engine
) -> None:
    fill(store, 5)
    with raw.begin() as conn:
        conn.execute(text("DELETE FROM consent_events WHERE seq >= 4"))
    report = store.verify()
    assert report.problems[0] == (
        "log_head: records 5 leaves but the rows make 3 (rows after leaf 2 removed)"
    )
    assert report.first_bad_leaf == 3


def test_a_rewritten_log_head_is_reported(store: ConsentStore, raw: Engine) -> None:
    fill(store, 3)
    with raw.begin() as conn:
        conn.execute(text("UPDATE log_head SET tree_size = 2"))
    assert store.verify().problems == ["log_head: records 2 leaves but the rows make 3"]


def test_swapped_rows_are_reported_as_reordered(store: ConsentStore, raw: Engine) -> None:
    fill(store, 6)
    columns = [c.name for c in metadata.tables["consent_events"].columns if c.name != "seq"]
    with raw.begin() as conn:
        rows = {
            row.seq: row._mapping
            for row in conn.execute(text("SELECT * FROM consent_events WHERE seq IN (2, 5)"))
        }
        conn.execute(text("UPDATE consent_events SET event_id = 'swapping' WHERE seq = 2"))
        assignments = ", ".join(f"{name} = :{name}" for name in columns)
        for target, source in ((5, 2), (2, 5)):
            values = {name: rows[source][name] for name in columns}
            conn.execute(
                text(f"UPDATE consent_events SET {assignments} WHERE seq = :seq"),
                {**values, "seq": target},
            )
    report = store.verify()
    assert not report.ok
    # Each row still matches its own leaf hash; the tree above them does not.
    assert report.problems == ["leaf 1: stored tree hash 1 does not match the leaf hashes"]


def test_byte_flipped_in_the_sqlite_file_is_reported(sqlite_url: str) -> None:
    store = ConsentStore(sqlite_url)
    store.upgrade()
    marker = "unique-marker-" + secrets.token_hex(6)
    fill(store, 2)
    store.append(make_event(3, page=f"https://creditplus.kz/{marker}"))
    fill_more = [store.append(make_event(n))[0] for n in (4, 5)]
    assert fill_more
    with store._engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()

    path = Path(make_url(sqlite_url).database)
    data = bytearray(path.read_bytes())
    offset = data.find(marker.encode())
    assert offset > 0 and data.count(marker.encode()) == 1
    data[offset] ^= 0x01  # 'u' -> 't': still valid UTF-8, a plausible-looking edit
    path.write_bytes(bytes(data))

    reopened = ConsentStore(sqlite_url)
    try:
        report = reopened.verify()
    finally:
        reopened.close()
    assert not report.ok
    assert report.problems == ["leaf 2: content changed (leaf hash mismatch)"]


def test_garbage_in_a_sqlite_time_column_is_reported_not_raised(
    sqlite_url: str,
) -> None:
    store = ConsentStore(sqlite_url)
    store.upgrade()
    try:
        fill(store, 3)
        engine = create_engine(sqlite_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE consent_events SET recorded_at = 'yesterday' WHERE seq = 2"))
        engine.dispose()
        assert store.verify().problems == ["leaf 1: content changed (leaf hash mismatch)"]
    finally:
        store.close()


# --- redaction: personal data destroyed, proof kept ----------------------------------------------

REDACT = (
    "UPDATE consent_events SET redacted = :yes, consent_id = '', page = NULL, region = NULL, "
    "ip_prefix = NULL, ip_hmac = NULL WHERE seq = 2"
)


def test_a_redacted_row_still_verifies(store: ConsentStore, raw: Engine) -> None:
    fill(store, 4)
    with raw.begin() as conn:
        conn.execute(text(REDACT), {"yes": True})
    report = store.verify()
    assert report.ok, report.problems


def test_redaction_cannot_hide_a_changed_decision(store: ConsentStore, raw: Engine) -> None:
    fill(store, 4)
    with raw.begin() as conn:
        conn.execute(text(REDACT), {"yes": True})
        conn.execute(text("UPDATE consent_events SET action = 'accept_all' WHERE seq = 2"))
    assert store.verify().problems == ["leaf 1: content changed (leaf hash mismatch)"]


def test_a_redacted_row_that_still_holds_personal_data_is_reported(
    store: ConsentStore, raw: Engine
) -> None:
    fill(store, 4)
    with raw.begin() as conn:
        conn.execute(text("UPDATE consent_events SET redacted = :yes WHERE seq = 2"), {"yes": True})
        conn.execute(text("UPDATE consent_events SET page = 'https://evil.example/' WHERE seq = 2"))
    problems = store.verify().problems
    assert problems == [
        "leaf 1: redacted row still holds consent_id, page, region, ip_prefix, ip_hmac"
    ]


@pytest.mark.parametrize("column", ["personal_digest", "request_fingerprint"])
def test_an_edited_derived_column_is_reported(
    store: ConsentStore, raw: Engine, column: str
) -> None:
    fill(store, 3)
    with raw.begin() as conn:
        conn.execute(
            text(f"UPDATE consent_events SET {column} = :v WHERE seq = 2"), {"v": "3" * 64}
        )
    problems = store.verify().problems
    assert len(problems) == 1 and problems[0].startswith(f"leaf 1: {column} does not match")


def _drop_other_connections(raw: Engine) -> None:
    """What a PostgreSQL restart does to every connection a store keeps in its pools."""
    with raw.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert dropped >= 1


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_an_append_after_the_database_dropped_its_connection_is_recorded(
    store: ConsentStore, raw: Engine
) -> None:
    fill(store, 1)
    _drop_other_connections(raw)
    stored, new = store.append(make_event(2))
    assert new and stored.seq == 2
    assert store.verify().ok


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_negative_control_the_append_pool_alone_does_not_notice_a_dropped_connection(
    store: ConsentStore, raw: Engine
) -> None:
    """The append batches' pool has no pre-ping: without the batch's own retry the first append
    after a restart would fail."""
    fill(store, 1)
    _drop_other_connections(raw)
    with pytest.raises(DBAPIError) as raised, store._append_engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated
