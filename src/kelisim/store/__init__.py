"""The consent log: an append-only Merkle tree of consent events (RFC 6962), committed before use.

It is legal proof (Law 94-V; GDPR Art. 7(1) as reference), so two failures matter above all: losing
an acknowledged event, and letting a changed one pass as genuine. Hence: append() returns only after
the commit of its batch (kelisim.store.group_commit: many appends, one transaction, one fsync); leaf
indexes are assigned under a database lock (SQLite `BEGIN IMMEDIATE`, PostgreSQL a row lock on
`log_head`), so any number of workers and hosts append to one tree; retries are idempotent on
`event_id`; checkpoints of the tree are signed (kelisim.store.log) and proofs served from stored
subtree hashes; and verify() re-derives the whole tree from the rows (kelisim.store.verify). The
schema comes only from the Alembic migrations beside this file. Design: docs/log.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Engine,
    bindparam,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row, make_url
from sqlalchemy.exc import DBAPIError

from kelisim.store import bulk, counting, leaves, merkle
from kelisim.store.group_commit import GroupCommit, Pending
from kelisim.store.log import MerkleLog, SignedCheckpoint, all_found, read_hashes
from kelisim.store.schema import catalogue_snapshots, consent_events, log_hashes, log_head
from kelisim.store.verify import VerifyReport, walk

__all__ = ["ConsentStore", "EventConflict", "NewEvent", "StoredEvent", "VerifyReport"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _migrations_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _migration_head() -> str | None:
    """The newest migration of this code; the scripts do not change while a process runs."""
    return ScriptDirectory.from_config(_migrations_config()).get_current_head()


SQLITE_BUSY_TIMEOUT_MS = 10_000
# Any constant works; it only has to be the same in every process that runs upgrade().
_UPGRADE_LOCK_KEY = 0x4B454C4953494D  # "KELISIM"
_BEGIN_OPTION = "kelisim_sqlite_begin"


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    consent_id: str
    site: str
    action: str
    status: str
    grants: Mapping[str, bool]
    purposes: Mapping[str, str]
    revision: int
    catalogue_hash: str
    language: str
    page: str | None
    region: str | None
    device_class: str
    is_bot: bool
    ip_prefix: str | None
    ip_hmac: str | None
    gpc: bool
    recorded_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class StoredEvent(NewEvent):
    seq: int
    # The RFC 6962 leaf hash (hex) and the digest that stands in the leaf for the personal fields.
    hash: str
    personal_digest: str

    @property
    def leaf_index(self) -> int:
        return self.seq - 1

    def leaf(self) -> bytes:
        """The leaf this event committed to; the same after its personal fields are destroyed."""
        return leaves.stored_leaf(self, self.personal_digest)


class EventConflict(Exception):
    """An event_id sent again with different content: a client bug or a replay, never a retry."""


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Per-connection settings; journal_mode is NOT here (set once by upgrade(), see below).

    isolation_level=None stops the sqlite3 driver from issuing its own BEGIN, so _sqlite_begin can
    issue BEGIN IMMEDIATE for appends (SQLAlchemy's documented recipe for SQLite transactions).
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # FULL syncs the WAL at every commit: an acknowledged consent survives power loss.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


def _create_engine(url: str, *, pre_ping: bool = True) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=pre_ping)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # No pre-ping: a SQLite file cannot drop a connection, and the ping was one more statement
    # for every append batch.
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _loads_object(value: str) -> dict[str, Any]:
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {}


def _stored_event(row: Row[Any]) -> StoredEvent:
    values = row._mapping
    return StoredEvent(
        event_id=values["event_id"],
        consent_id=values["consent_id"],
        site=values["site"],
        action=values["action"],
        status=values["status"],
        grants=MappingProxyType(_loads_object(values["grants"])),
        purposes=MappingProxyType(_loads_object(values["purposes"])),
        revision=values["revision"],
        catalogue_hash=values["catalogue_hash"],
        language=values["language"],
        page=values["page"],
        region=values["region"],
        device_class=values["device_class"],
        is_bot=bool(values["is_bot"]),
        ip_prefix=values["ip_prefix"],
        ip_hmac=values["ip_hmac"],
        gpc=bool(values["gpc"]),
        recorded_at=values["recorded_at"],
        expires_at=values["expires_at"],
        seq=values["seq"],
        hash=values["hash"],
        personal_digest=values["personal_digest"],
    )


@dataclass(frozen=True)
class _Append:
    """One event with everything that does not depend on its place in the tree already computed:
    the batch holds the database's write lock (which every worker waits for) while it runs, so
    digests, the leaf hash, the row and the counter increments are made beforehand, by the
    request's own thread."""

    event: NewEvent
    fingerprint: str
    leaf_hash: bytes
    personal: str
    row: dict[str, Any]
    counters: counting.Increments
    # What append() returns, less the leaf index (seq 0 until the batch assigns one).
    stored: StoredEvent


_NEW_EVENT_FIELDS = tuple(NewEvent.__dataclass_fields__)


def _committed_form(event: NewEvent, leaf_hash: str, personal: str) -> StoredEvent:
    """The event as append() returns it once committed (its seq still 0), built from the values
    being committed rather than read back: after the commit nothing may fail and turn a recorded
    consent into an error response."""
    values = {name: getattr(event, name) for name in _NEW_EVENT_FIELDS}
    values.update(
        grants=MappingProxyType(dict(event.grants)),
        purposes=MappingProxyType(dict(event.purposes)),
        recorded_at=event.recorded_at.astimezone(UTC),
        expires_at=event.expires_at.astimezone(UTC),
    )
    return StoredEvent(**values, seq=0, hash=leaf_hash, personal_digest=personal)


def _prepared(event: NewEvent) -> _Append:
    fields = leaves.event_fields(event)
    fingerprint = leaves.request_fingerprint(fields)
    personal = leaves.personal_digest(fields)
    leaf_hash = merkle.leaf_hash(leaves.leaf(fields, personal))
    row = {
        **fields,
        "grants": leaves.canonical_json(fields["grants"]),
        "purposes": leaves.canonical_json(fields["purposes"]),
        "recorded_at": event.recorded_at,
        "expires_at": event.expires_at,
        "request_fingerprint": fingerprint,
        "redacted": False,
        "personal_digest": personal,
        "hash": leaf_hash.hex(),
    }
    stored = _committed_form(event, leaf_hash.hex(), personal)
    counters = counting.increments(event)
    return _Append(event, fingerprint, leaf_hash, personal, row, counters, stored)


# The batch's statements, built once: constructing them per batch cost as much CPU as running
# them, all of it under the write lock.
_HEAD_FOR_UPDATE = select(log_head.c.tree_size).where(log_head.c.id == 1).with_for_update()
_EXISTING = select(consent_events).where(
    consent_events.c.event_id.in_(bindparam("event_ids", expanding=True))
)
_INSERT_EVENTS = insert(consent_events)
# The tree's new hashes (JSON pairs of index and hex), its new size and the dashboard's counters,
# in one statement: a data-modifying WITH runs to completion whether or not its result is read.
_PG_TREE_AND_COUNTS = (
    "WITH hashes AS (INSERT INTO log_hashes (id, hash) "
    "SELECT (h->>0)::bigint, decode(h->>1, 'hex') "
    "FROM jsonb_array_elements(%(hashes)s::jsonb) AS h RETURNING 1), "
    "head AS (UPDATE log_head SET tree_size = %(new_tree_size)s WHERE id = 1 RETURNING 1), "
    f"daily AS ({counting.PG_DAILY_UPSERT} RETURNING 1) "
    f"{counting.PG_MONTHLY_UPSERT}"
)
# Which of a batch's event ids are recorded, and the tree's edge when this process does not know
# it (another process appended since): one round trip.
_PG_PRESENT_AND_HASHES = (
    "SELECT event_id, NULL::bigint, NULL::bytea FROM consent_events "
    "WHERE event_id = ANY(%(ids)s::text[]) "
    "UNION ALL SELECT NULL, id, hash FROM log_hashes WHERE id = ANY(%(indexes)s::bigint[])"
)
_SQLITE_HEAD = "SELECT tree_size FROM log_head WHERE id = 1"
_SQLITE_SET_HEAD = "UPDATE log_head SET tree_size = ? WHERE id = 1"


@functools.lru_cache(maxsize=64)
def _sqlite_present(count: int) -> str:
    marks = ", ".join("?" * count)
    return f"SELECT event_id FROM consent_events WHERE event_id IN ({marks})"


class ConsentStore:
    def __init__(self, url: str) -> None:
        self._engine = _create_engine(url)
        self._sqlite = self._engine.dialect.name == "sqlite"
        # Appends take SQLite's write lock at BEGIN: taking it later, on the first INSERT, can fail
        # with SQLITE_BUSY without waiting when another writer committed since our snapshot.
        self._write_engine = self._engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        # The append batches' own pool on PostgreSQL, without the pre-ping: the ping was one more
        # round trip per batch, and _commit_batch retries a connection found dead at the batch's
        # first statement itself (nothing of the batch sent yet).
        self._append_engine = (
            self._write_engine if self._sqlite else _create_engine(url, pre_ping=False)
        )
        self._group: GroupCommit[_Append] = GroupCommit(self._commit_batch)
        self.log = MerkleLog(self._engine, self._write_engine)
        self._batch_lock = _SqliteBatchLock(self._engine) if self._sqlite else None
        self._edge: tuple[int, dict[int, bytes]] = (-1, {})

    @property
    def engine(self) -> Engine:
        """For modules that keep their own tables in this database (admin accounts, audit log)."""
        return self._engine

    @property
    def write_engine(self) -> Engine:
        """Like `engine`, but each transaction takes SQLite's write lock at BEGIN."""
        return self._write_engine

    def upgrade(self) -> None:
        """Bring the schema to the newest migration; safe to run concurrently and repeatedly.

        On SQLite this is also where WAL mode is switched on: it persists in the file, and switching
        needs an exclusive lock that races when every worker tries it on its first connection
        (measured: sporadic "database is locked" errors on a fresh file).
        """
        if self._sqlite:
            self._enable_wal()
        config = _migrations_config()
        with self._write_engine.connect() as conn, conn.begin():
            if not self._sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
            # Already at the newest migration (every start but the first): skip loading Alembic's
            # environment and scripts, which costs more than the rest of the start.
            if MigrationContext.configure(conn).get_current_revision() == _migration_head():
                return
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def _enable_wal(self) -> None:
        for attempt in range(50):
            raw = self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
                if mode in ("wal", "memory"):
                    return
                cursor.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                # Another process holds a lock for a moment (it may be switching to WAL itself).
                if attempt == 49:
                    raise
            finally:
                raw.close()
            time.sleep(0.1)

    def append(self, event: NewEvent) -> tuple[StoredEvent, bool]:
        """Record `event` durably; (stored, True) when new, (existing, False) on a faithful retry.

        Returns once the batch holding it is committed. Raises EventConflict when the event_id is
        already recorded with other content, and ValueError for fields that cannot be stored as
        given (before anything is queued).
        """
        return self._group.submit(_prepared(event))

    def _commit_batch(self, take: Callable[[], list[Pending[_Append]]]) -> None:
        """Commit the batch; once more on a fresh connection when the pooled one turns out dead
        (a database restart) at the first statement, before the batch was taken: nothing of it
        reached the database, so the second try is the only one."""
        taken = False

        def take_once() -> list[Pending[_Append]]:
            nonlocal taken
            taken = True
            return take()

        try:
            self._commit_batch_once(take_once)
        except DBAPIError as error:
            if taken or not error.connection_invalidated:
                raise
            self._commit_batch_once(take_once)

    def _commit_batch_once(self, take: Callable[[], list[Pending[_Append]]]) -> None:
        """One transaction for a whole batch: lock, take the batch, dedupe, assign leaves, hash,
        insert, commit."""
        held = self._batch_lock.held() if self._batch_lock else contextlib.nullcontext()
        # The connection is checked out before the lock is taken, the transaction begun after.
        with self._append_engine.connect() as conn, held, conn.begin():
            run = bulk.DriverSQL(conn) if self._sqlite else None
            size = self._head_size(conn, run)
            batch = take()  # with the lock held: all that queued while this waited for it
            event_ids = sorted({p.item.event.event_id for p in batch})
            # The right edge of the tree: all that appending leaves to it will read. Known already
            # when this process committed the last batch (hashes never change once written).
            cached_size, cached_edge = self._edge
            edge_known = cached_size == size
            wanted = [] if edge_known else merkle.root_indexes(size)
            if run is not None:
                existing = self._existing(conn, event_ids, run)
                read = read_hashes(conn, wanted)
            else:
                existing, read = self._pg_existing_and_edge(conn, event_ids, wanted)
            edge = dict(cached_edge) if edge_known else read
            new_rows: list[dict[str, Any]] = []
            new_hashes: list[tuple[int, bytes]] = []
            first_of: dict[str, Pending[_Append]] = {}
            repeats: list[tuple[Pending[_Append], Pending[_Append]]] = []
            seqs: list[tuple[Pending[_Append], int]] = []
            for pending in batch:
                append = pending.item
                event_id = append.event.event_id
                earlier = existing.get(event_id)
                if earlier is not None:
                    if earlier.request_fingerprint != append.fingerprint:
                        pending.error = EventConflict(_CONFLICT)
                    else:
                        pending.result = (_stored_event(earlier), False)
                    continue
                if event_id in first_of:
                    if first_of[event_id].item.fingerprint != append.fingerprint:
                        pending.error = EventConflict(_CONFLICT)
                    else:
                        repeats.append((pending, first_of[event_id]))
                    continue
                first_of[event_id] = pending
                added = merkle.new_stored_hashes(size, append.leaf_hash, edge)
                edge.update(added)
                new_hashes.extend(added)
                size += 1
                new_rows.append({**append.row, "seq": size})
                seqs.append((pending, size))
            if new_rows:
                # The dashboard's counters, in this transaction: counted if and only if recorded.
                counted = [first.item.counters for first in first_of.values()]
                if run is not None:
                    hash_rows = [{"id": i, "hash": h} for i, h in new_hashes]
                    bulk.insert_rows(conn, consent_events, new_rows, run)
                    bulk.insert_rows(conn, log_hashes, hash_rows, run)
                    run(_SQLITE_SET_HEAD, (size,))
                    counting.add_counts(conn, counted, run)
                else:  # psycopg pipelines an executemany: one round trip
                    conn.execute(_INSERT_EVENTS, new_rows)
                    # The tree's new hashes, its size and the counters: one statement.
                    hashes = json.dumps([[i, h.hex()] for i, h in new_hashes])
                    parameters = {"hashes": hashes, "new_tree_size": size}
                    conn.exec_driver_sql(
                        _PG_TREE_AND_COUNTS, {**counting.pg_parameters(counted), **parameters}
                    )
        self._edge = (size, {index: edge[index] for index in merkle.root_indexes(size)})
        for pending, seq in seqs:
            pending.result = (replace(pending.item.stored, seq=seq), True)
        for pending, first in repeats:
            pending.result = (first.result[0], False)

    # On SQLite the batch's reads and the head update are plain driver SQL (the tree's edge
    # too, in log.read_hashes): the same statements through SQLAlchemy's compiler and result
    # machinery cost more CPU than SQLite spent running them, all of it under the write lock
    # every worker waits for. PostgreSQL keeps them: there the round trip, not the CPU, is what
    # a statement costs.

    def _head_size(self, conn: Connection, run: bulk.DriverSQL | None) -> int:
        if run is not None:
            # BEGIN IMMEDIATE already holds the write lock: FOR UPDATE has nothing to add.
            return int(run(_SQLITE_HEAD)[0][0])
        return int(conn.execute(_HEAD_FOR_UPDATE).scalar_one())

    def _existing(
        self, conn: Connection, event_ids: list[str], run: bulk.DriverSQL | None
    ) -> dict[str, Row[Any]]:
        """The stored rows of those of `event_ids` already in the log (retries and replays)."""
        if run is not None:
            # Nearly always none: ask for the ids alone, and read whole rows (with their column
            # types) only for those found.
            found = [row[0] for row in run(_sqlite_present(len(event_ids)), tuple(event_ids))]
            if not found:
                return {}
            event_ids = found
        return {row.event_id: row for row in conn.execute(_EXISTING, {"event_ids": event_ids})}

    def _pg_existing_and_edge(
        self, conn: Connection, event_ids: list[str], wanted: Sequence[int]
    ) -> tuple[dict[str, Row[Any]], dict[int, bytes]]:
        """Which of `event_ids` are already recorded, and the stored hashes `wanted`: one round
        trip for what were two, both made while this batch holds the log's row lock."""
        found: list[str] = []
        edge: dict[int, bytes] = {}
        rows = conn.exec_driver_sql(
            _PG_PRESENT_AND_HASHES, {"ids": list(event_ids), "indexes": list(wanted)}
        )
        for event_id, index, value in rows:
            if event_id is not None:
                found.append(event_id)
            else:
                edge[int(index)] = bytes(value)
        edge = all_found(wanted, edge)
        if not found:  # nearly always: only retries and replays are found
            return {}, edge
        return self._existing(conn, found, None), edge

    def history(self, consent_id: str) -> list[StoredEvent]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(consent_events)
                .where(consent_events.c.consent_id == consent_id)
                .order_by(consent_events.c.seq)
            ).all()
        return [_stored_event(row) for row in rows]

    def event_at(self, seq: int) -> StoredEvent | None:
        """The event at leaf index seq - 1, whoever it belongs to (proofs, `kelisim log`)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(consent_events).where(consent_events.c.seq == seq)).first()
        return None if row is None else _stored_event(row)

    def latest(self, consent_id: str) -> StoredEvent | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(consent_events)
                .where(consent_events.c.consent_id == consent_id)
                .order_by(consent_events.c.seq.desc())
                .limit(1)
            ).first()
        return None if row is None else _stored_event(row)

    def save_snapshot(self, catalogue_hash: str, revision: int, body: dict) -> None:
        """Archive the catalogue a visitor was shown (EDPB §108: a copy of what was presented).

        Keyed by content hash, so the first copy stays and saving again is a no-op.
        """
        dialect_insert = sqlite.insert if self._sqlite else postgresql.insert
        statement = (
            dialect_insert(catalogue_snapshots)
            .values(
                hash=catalogue_hash,
                revision=revision,
                body=leaves.canonical_json(body),
                saved_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["hash"])
        )
        with self._write_engine.begin() as conn:
            conn.execute(statement)

    def snapshot(self, catalogue_hash: str) -> dict | None:
        with self._engine.connect() as conn:
            body = conn.execute(
                select(catalogue_snapshots.c.body).where(
                    catalogue_snapshots.c.hash == catalogue_hash
                )
            ).scalar()
        return None if body is None else json.loads(body)

    def verify(self, checkpoints: list[SignedCheckpoint] | None = None) -> VerifyReport:
        """Re-derive the whole tree from the rows; report every changed, missing or unprovable
        leaf and every checkpoint the tree no longer matches (kelisim.store.verify). `checkpoints`
        replaces the stored ones (a witness's copy, `kelisim log check`)."""
        if checkpoints is None:
            checkpoints = self.log.checkpoints()
        options: dict[str, Any] = {}
        if not self._sqlite:
            # One snapshot for the head and all rows, so appends during the walk are not "problems".
            options["isolation_level"] = "REPEATABLE READ"
        with self._engine.connect().execution_options(**options) as conn, conn.begin():
            head_size = conn.execute(
                select(log_head.c.tree_size).where(log_head.c.id == 1)
            ).scalar_one()
            return walk(conn, self._sqlite, head_size, checkpoints)

    def close(self) -> None:
        if self._batch_lock is not None:
            self._batch_lock.close()
        if self._append_engine is not self._write_engine:
            self._append_engine.dispose()
        self._engine.dispose()


_CONFLICT = "event_id already recorded with different content"


class _SqliteBatchLock:
    """Queues the batches of all processes on one SQLite file in the kernel, not in SQLite.

    SQLite's own wait for its write lock is a busy handler that sleeps in steps of up to 100 ms,
    so a gunicorn worker whose batch found the lock taken slept long after it was free (p99 in
    the hundreds of ms). An exclusive flock() on a file beside the database is handed over the
    moment the holder releases it. BEGIN IMMEDIATE still takes SQLite's lock inside, so writers
    that do not take this one (admin pages, a purge) stay correct, merely slower to get in.
    """

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database or ""
        self._path = (
            None
            if not database or database == ":memory:" or database.startswith("file:")
            else f"{database}-batch.lock"
        )
        self._fd: int | None = None
        self._local = threading.Lock()

    @contextlib.contextmanager
    def held(self) -> Any:
        if self._path is None:
            yield
            return
        with self._local:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._local:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
