"""Appends that share one group-commit batch: every one is stored once, at its own leaf, with the
digests, proofs and dashboard counters that an append on its own would have given it.

The batch is forced the way it forms under load: another writer holds the log while the appends
arrive, so they queue behind one leader and are committed together when it lets go.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text
from test_store import make_event

from kelisim.store import ConsentStore, EventConflict, StoredEvent, counting, leaves, merkle
from kelisim.store.group_commit import GroupCommit
from kelisim.store.stats_tables import consent_stats, consent_stats_monthly

APPENDS = 16
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture
def store(database_url: str) -> Iterator[ConsentStore]:
    consent_store = ConsentStore(database_url)
    consent_store.upgrade()
    yield consent_store
    consent_store.close()


@contextmanager
def log_held_by_another_writer(database_url: str, change: str | None = None) -> Iterator[None]:
    """The database's write lock on the log, taken outside the store (another worker's batch);
    `change` is made in that transaction and committed as the lock is let go."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")
                conn.exec_driver_sql("SELECT tree_size FROM log_head WHERE id = 1 FOR UPDATE")
            if change is not None:
                conn.exec_driver_sql(change)
            try:
                yield
            finally:
                conn.exec_driver_sql("COMMIT" if change is not None else "ROLLBACK")
    finally:
        engine.dispose()


def append_together(
    database_url: str, store: ConsentStore, events: list, change: str | None = None
) -> list[tuple[StoredEvent, bool] | BaseException]:
    outcomes: list[tuple[StoredEvent, bool] | BaseException | None] = [None] * len(events)

    def append(index: int) -> None:
        try:
            outcomes[index] = store.append(events[index])
        except BaseException as error:
            outcomes[index] = error

    threads = [threading.Thread(target=append, args=(i,)) for i in range(len(events))]
    with log_held_by_another_writer(database_url, change):
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # every append queued behind the held log
        assert all(outcome is None for outcome in outcomes), "an append went past a held log"
    for thread in threads:
        thread.join(timeout=60)
    assert all(outcome is not None for outcome in outcomes)
    return outcomes  # type: ignore[return-value]


def stored_counters(store: ConsentStore) -> tuple[Counter, Counter]:
    with store.engine.connect() as conn:
        daily = Counter(
            {
                (row.dimension, row.day, row.value, row.outcome, row.site): row.count
                for row in conn.execute(select(consent_stats))
            }
        )
        monthly = Counter(
            {
                (row.dimension, row.month, row.value, row.outcome, row.site): row.count
                for row in conn.execute(select(consent_stats_monthly))
            }
        )
    return daily, monthly


def expected_counters(events: list) -> tuple[Counter, Counter]:
    daily: Counter = Counter()
    monthly: Counter = Counter()
    for event in events:
        for row in counting.counter_rows(event):
            day: date = row["day"]
            daily[(row["dimension"], day, row["value"], row["outcome"], row["site"])] += 1
            monthly[
                (row["dimension"], day.replace(day=1), row["value"], row["outcome"], row["site"])
            ] += 1
    return daily, monthly


def rfc6962_root(leaf_hashes: list[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1 over leaf hashes, straight from its definition."""
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = 1
    while k * 2 < len(leaf_hashes):
        k *= 2
    left, right = rfc6962_root(leaf_hashes[:k]), rfc6962_root(leaf_hashes[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def test_appends_sharing_a_batch_get_their_own_leaves_proofs_and_counts(
    database_url: str, store: ConsentStore
) -> None:
    first = make_event(1000, action="reject_all")
    before = store.append(first)[0]  # a tree to extend
    events = [make_event(n, is_bot=n == 3, action="custom") for n in range(APPENDS)]
    retry = events[5]  # the same request twice in the batch: recorded once
    conflict = replace(events[6], action="accept_all")  # same event_id, other content
    outcomes = append_together(database_url, store, [*events, retry, conflict])

    assert isinstance(outcomes[-1], EventConflict)
    results = outcomes[:-1]
    assert not any(isinstance(outcome, BaseException) for outcome in results), results
    created = [stored for stored, new in results[:APPENDS]]  # type: ignore[misc]
    assert all(new for _, new in results[:APPENDS])  # type: ignore[misc]
    repeated, new = results[APPENDS]  # type: ignore[misc]
    assert not new and repeated.seq == created[5].seq

    # One leaf each, right after the existing tree, in an unbroken run.
    assert sorted(stored.seq for stored in created) == list(range(2, APPENDS + 2))
    for stored, event in zip(created, events, strict=True):
        fields = leaves.event_fields(event)
        personal = leaves.personal_digest(fields)
        assert stored.personal_digest == personal
        assert stored.hash == merkle.leaf_hash(leaves.leaf(fields, personal)).hex()
        assert [e for e in store.history(event.consent_id) if e.seq == stored.seq] == [stored]

    # The tree is the RFC 6962 tree of those leaves, and proves each of them.
    size = APPENDS + 1
    assert store.log.size() == size
    leaf_hashes = [bytes.fromhex(before.hash)] + [
        bytes.fromhex(stored.hash) for stored in sorted(created, key=lambda s: s.seq)
    ]
    root = store.log.root(size)
    assert root == rfc6962_root(leaf_hashes)
    for stored in created:
        proof = store.log.inclusion_proof(stored.leaf_index, size)
        merkle.verify_inclusion(stored.leaf_index, size, bytes.fromhex(stored.hash), proof, root)
    report = store.verify()
    assert report.ok, report.problems

    # Counted once each, in the batch's transaction: not the retry, not the conflict.
    daily, monthly = stored_counters(store)
    want_daily, want_monthly = expected_counters([first, *events])
    assert daily == want_daily
    assert monthly == want_monthly
    naive_daily, _ = expected_counters([first, *events, retry, conflict])
    assert daily != naive_daily  # the control: counting every request would be caught


def test_a_batch_that_fails_stores_nothing_and_answers_every_append_with_the_error(
    database_url: str, store: ConsentStore
) -> None:
    """One event no column can hold fails before it is queued; a batch the database refuses (the
    other writer removed the log head under it) fails as a whole, and every append in it hears."""
    with pytest.raises(ValueError):
        store.append(make_event(1, event_id="x" * 65))
    events = [make_event(n) for n in range(4)]
    outcomes = append_together(database_url, store, events, change="DELETE FROM log_head")
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM consent_events")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM consent_stats")).scalar() == 0
    finally:
        engine.dispose()


# --- the group commit itself ----------------------------------------------------------------------


def submit_from_threads(group: GroupCommit[int], count: int) -> list[object]:
    outcomes: list[object] = [None] * count

    def submit(index: int) -> None:
        try:
            outcomes[index] = group.submit(index)
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(count)]
    for queued, thread in enumerate(threads, start=1):
        thread.start()
        wait_until_queued(group, queued)  # in order: the first one leads
    return [threads, outcomes]  # type: ignore[list-item]


def wait_until_queued(group: GroupCommit[int], count: int) -> None:
    """Until `count` appends are queued, the leader's own included: a busy machine may start a
    thread late, and a fixed sleep then let it miss the batch it was meant to join."""
    deadline = time.monotonic() + 10
    while len(group._queue) < count:
        assert time.monotonic() < deadline, f"only {len(group._queue)} of {count} appends queued"
        time.sleep(0.001)


def test_appends_that_arrive_while_the_leader_waits_for_the_lock_join_its_batch() -> None:
    lock_free = threading.Event()
    batches: list[list[int]] = []

    def commit(take) -> None:
        lock_free.wait(timeout=10)  # another process's batch holds the database's lock
        batch = take()
        batches.append([pending.item for pending in batch])
        for pending in batch:
            pending.result = pending.item * 10

    group: GroupCommit[int] = GroupCommit(commit)
    threads, outcomes = submit_from_threads(group, 8)
    lock_free.set()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes == [n * 10 for n in range(8)]
    # One commit for all: taken at once, the batch would have been [0], then [1..7] after it.
    assert batches == [[0, 1, 2, 3, 4, 5, 6, 7]]


def test_a_leader_that_fails_before_it_takes_its_batch_fails_alone() -> None:
    calls: list[list[int]] = []

    def commit(take) -> None:
        if not calls:
            calls.append([])
            wait_until_queued(group, 5)  # the others queue meanwhile
            raise OSError("the database went away")
        batch = take()
        calls.append([pending.item for pending in batch])
        for pending in batch:
            pending.result = pending.item

    group: GroupCommit[int] = GroupCommit(commit)
    threads, outcomes = submit_from_threads(group, 5)
    for thread in threads:
        thread.join(timeout=10)
    assert isinstance(outcomes[0], OSError)
    assert outcomes[1:] == [1, 2, 3, 4]
    assert calls == [[], [1, 2, 3, 4]]


def test_sqlite_bulk_insert_stores_exactly_what_sqlalchemy_stores(tmp_path) -> None:
    """The batch's one-statement INSERT (kelisim.store.bulk) against SQLAlchemy's own executemany:
    the same bytes and SQLite types in every column, times, booleans and NULLs included."""
    from sqlalchemy import insert

    from kelisim.store import bulk
    from kelisim.store.schema import consent_events, log_hashes

    events = [
        make_event(1),
        make_event(2, page=None, region=None, ip_prefix=None, ip_hmac=None, is_bot=True),
        make_event(3, gpc=True, recorded_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=ALMATY)),
    ]
    rows = []
    for seq, event in enumerate(events, start=1):
        fields = leaves.event_fields(event)
        rows.append(
            {
                **fields,
                "grants": leaves.canonical_json(fields["grants"]),
                "purposes": leaves.canonical_json(fields["purposes"]),
                "recorded_at": event.recorded_at,
                "expires_at": event.expires_at,
                "seq": seq,
                "request_fingerprint": "f" * 64,
                "redacted": False,
                "personal_digest": "d" * 64,
                "hash": "a" * 64,
            }
        )
    hashes = [{"id": n, "hash": bytes([n]) * 32} for n in range(5)]
    stored = []
    for name, write in (
        # As the append batch runs it: on the driver's own cursor.
        (
            "bulk",
            lambda conn, table, values: bulk.insert_rows(conn, table, values, bulk.DriverSQL(conn)),
        ),
        ("core", lambda conn, table, values: conn.execute(insert(table), values)),
    ):
        store = ConsentStore(f"sqlite:///{tmp_path / name}.sqlite3")
        store.upgrade()
        try:
            with store.write_engine.begin() as conn:
                write(conn, consent_events, rows)
                write(conn, log_hashes, hashes)
            with store.engine.connect() as conn:
                stored.append(
                    [
                        conn.exec_driver_sql(f"SELECT *, {typeof} FROM {table} ORDER BY 1").all()
                        for table, typeof in (
                            ("consent_events", "typeof(recorded_at), typeof(is_bot)"),
                            ("log_hashes", "typeof(hash)"),
                        )
                    ]
                )
            assert [event.event_id for event in store.history(events[0].consent_id)] == [
                events[0].event_id
            ]
        finally:
            store.close()
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 3 and len(stored[0][1]) == 5


def test_a_statement_the_driver_refuses_reaches_sqlalchemys_error_handling(tmp_path) -> None:
    """The batch's statements skip SQLAlchemy, but not its error handling: a refused one is
    wrapped as SQLAlchemy wraps it, and the engine's handle_error listeners (the full-disk
    recovery, kelisim.store.diskfull) see it."""
    from sqlalchemy import event
    from sqlalchemy.exc import IntegrityError

    from kelisim.store import bulk

    store = ConsentStore(f"sqlite:///{tmp_path / 'refused'}.sqlite3")
    store.upgrade()
    seen: list[str] = []
    event.listen(
        store.write_engine.engine,
        "handle_error",
        lambda context: seen.append(type(context.original_exception).__name__),
    )
    try:
        with store.write_engine.connect() as conn, conn.begin():
            run = bulk.DriverSQL(conn)
            run("INSERT INTO log_hashes (id, hash) VALUES (?, ?)", (1, b"a" * 32))
            assert run("SELECT count(*) FROM log_hashes") == [(1,)]
            with pytest.raises(IntegrityError):
                run("INSERT INTO log_hashes (id, hash) VALUES (?, ?)", (1, b"b" * 32))
        assert seen == ["IntegrityError"]
    finally:
        store.close()


def test_appends_from_two_processes_in_turn_build_one_tree_that_verifies(
    store: ConsentStore, database_url: str
) -> None:
    """Each process keeps the tree's edge from its own last batch; after the other one appended,
    it must read the edge the other left, or every later hash is wrong. Two stores on one
    database stand for two gunicorn workers, appending in turn and now and then a retry."""
    other = ConsentStore(database_url)
    try:
        recorded = []
        for number in range(1, 41):
            writer = store if number % 3 else other
            recorded.append(writer.append(make_event(number))[0])
            if number % 7 == 0:  # a retry through the other process
                again = (other if writer is store else store).append(make_event(number))
                assert again == (recorded[-1], False)
        assert [event.seq for event in recorded] == list(range(1, 41))
        report = store.verify()
        assert report.ok, report.problems
        # The root an outsider computes from the events alone (RFC 6962).
        tree = merkle.CompactTree()
        for event in recorded:
            tree.append(merkle.leaf_hash(leaves.stored_leaf(event, event.personal_digest)))
        assert store.log.root(40) == tree.root()
    finally:
        other.close()
