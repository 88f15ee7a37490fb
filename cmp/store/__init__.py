"""The consent log: an append-only, hash-chained record of consent events, committed before use.

It is legal proof (Law 94-V; GDPR Art. 7(1) as reference), so two failures matter above all: losing
an acknowledged event, and letting a changed one pass as genuine. Hence: append() returns only after
the commit; appends are serialised so the chain is a line (SQLite `BEGIN IMMEDIATE`, PostgreSQL a
row lock on `chain_head`); retries are idempotent on `event_id`; and verify() re-derives every
digest and link. The schema comes only from the Alembic migrations beside this file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Engine,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row, make_url
from sqlalchemy.exc import IntegrityError

from cmp import stats
from cmp.store import chain
from cmp.store.chain import VerifyReport
from cmp.store.schema import UtcDateTime, catalogue_snapshots, chain_head, consent_events

__all__ = ["ConsentStore", "EventConflict", "NewEvent", "StoredEvent", "VerifyReport"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
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
    digest: str
    prev_hash: str
    hash: str


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


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=True)
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
        digest=values["digest"],
        prev_hash=values["prev_hash"],
        hash=values["hash"],
    )


def _timestamp_text(value: object) -> str:
    """A stored time in digest form; on SQLite verify() reads raw text, which may be tampered."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # not a time any more: the digest cannot match, and verify says so
    if isinstance(value, datetime):
        return chain.timestamp_text(value if value.tzinfo else value.replace(tzinfo=UTC))
    return repr(value)


def _chain_row(row: Row[Any]) -> chain.ChainRow:
    """A stored row in the form the digest was computed from, with the JSON text parsed back."""
    values = row._mapping
    fields: dict[str, Any] = {name: values[name] for name in chain.TEXT_LIMITS}
    fields.update(
        is_bot=bool(values["is_bot"]),
        gpc=bool(values["gpc"]),
        revision=values["revision"],
        recorded_at=_timestamp_text(values["recorded_at"]),
        expires_at=_timestamp_text(values["expires_at"]),
    )
    for name in ("grants", "purposes"):
        try:
            fields[name] = json.loads(values[name])
        except ValueError:
            fields[name] = values[name]  # unparseable: leave as is, the digest will not match
    return chain.ChainRow(
        seq=values["seq"],
        fields=fields,
        redacted=bool(values["redacted"]),
        request_fingerprint=values["request_fingerprint"],
        personal_digest=values["personal_digest"],
        digest=values["digest"],
        prev_hash=values["prev_hash"],
        hash=values["hash"],
    )


class ConsentStore:
    def __init__(self, url: str) -> None:
        self._engine = _create_engine(url)
        self._sqlite = self._engine.dialect.name == "sqlite"
        # Appends take SQLite's write lock at BEGIN: taking it later, on the first INSERT, can fail
        # with SQLITE_BUSY without waiting when another writer committed since our snapshot.
        self._write_engine = self._engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})

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
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write_engine.connect() as conn, conn.begin():
            if not self._sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK_KEY})
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

        Raises EventConflict when the event_id is already recorded with other content, and
        ValueError for fields that cannot be stored as given.
        """
        fields = chain.event_fields(event)
        fingerprint = chain.request_fingerprint(fields)
        existing = self._by_event_id(event.event_id)
        if existing is not None:
            return self._replayed(existing, fingerprint), False
        try:
            with self._write_engine.begin() as conn:
                head = conn.execute(
                    select(chain_head.c.last_seq, chain_head.c.last_hash)
                    .where(chain_head.c.id == 1)
                    .with_for_update()
                ).one()
                # A concurrent append of the same event_id may have committed while we waited.
                if conn.execute(
                    select(consent_events.c.seq).where(consent_events.c.event_id == event.event_id)
                ).first():
                    raise _AlreadyRecorded
                seq = head.last_seq + 1
                personal = chain.personal_digest(fields)
                event_digest = chain.digest(fields, personal)
                event_hash = chain.link(head.last_hash, event_digest)
                conn.execute(
                    insert(consent_events).values(
                        {
                            **fields,
                            "grants": chain.canonical_json(fields["grants"]),
                            "purposes": chain.canonical_json(fields["purposes"]),
                            "recorded_at": event.recorded_at,
                            "expires_at": event.expires_at,
                            "seq": seq,
                            "request_fingerprint": fingerprint,
                            "redacted": False,
                            "personal_digest": personal,
                            "digest": event_digest,
                            "prev_hash": head.last_hash,
                            "hash": event_hash,
                        }
                    )
                )
                conn.execute(
                    update(chain_head)
                    .where(chain_head.c.id == 1)
                    .values(last_seq=seq, last_hash=event_hash)
                )
                # The dashboard's counters, in this transaction: counted if and only if recorded.
                stats.count_event(conn, event)
        except (_AlreadyRecorded, IntegrityError):
            existing = self._by_event_id(event.event_id)
            if existing is None:
                raise
            return self._replayed(existing, fingerprint), False
        # Built from the values just committed rather than read back: after the commit nothing may
        # fail and turn a recorded consent into an error response.
        stored = StoredEvent(
            **{name: getattr(event, name) for name in NewEvent.__dataclass_fields__},
            seq=seq,
            digest=event_digest,
            prev_hash=head.last_hash,
            hash=event_hash,
        )
        return replace(
            stored,
            grants=MappingProxyType(dict(event.grants)),
            purposes=MappingProxyType(dict(event.purposes)),
            recorded_at=event.recorded_at.astimezone(UTC),
            expires_at=event.expires_at.astimezone(UTC),
        ), True

    @staticmethod
    def _replayed(existing: tuple[StoredEvent, str], fingerprint: str) -> StoredEvent:
        stored, stored_fingerprint = existing
        if stored_fingerprint != fingerprint:
            raise EventConflict("event_id already recorded with different content")
        return stored

    def _by_event_id(self, event_id: str) -> tuple[StoredEvent, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(consent_events).where(consent_events.c.event_id == event_id)
            ).first()
        return None if row is None else (_stored_event(row), row.request_fingerprint)

    def history(self, consent_id: str) -> list[StoredEvent]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(consent_events)
                .where(consent_events.c.consent_id == consent_id)
                .order_by(consent_events.c.seq)
            ).all()
        return [_stored_event(row) for row in rows]

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
                body=chain.canonical_json(body),
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

    def verify(self) -> VerifyReport:
        """Walk the whole log in seq order and report every changed, missing or misplaced row."""
        options: dict[str, Any] = {"stream_results": True, "yield_per": 1000}
        if not self._sqlite:
            # One snapshot for the head and all rows, so appends during the walk are not "problems".
            options["isolation_level"] = "REPEATABLE READ"
        with self._engine.connect().execution_options(**options) as conn, conn.begin():
            head_row = conn.execute(
                select(chain_head.c.last_seq, chain_head.c.last_hash).where(chain_head.c.id == 1)
            ).first()
            head = None if head_row is None else (head_row.last_seq, head_row.last_hash)
            columns = [
                # Raw text on SQLite, where a tampered file can hold anything in a DATETIME column.
                type_coerce(column, Text).label(column.name)
                if self._sqlite and isinstance(column.type, UtcDateTime)
                else column
                for column in consent_events.c
            ]
            rows = conn.execute(select(*columns).order_by(consent_events.c.seq))
            report, broken = chain.walk_chain(_rows_of(rows), head)
            for seq, prev_hash in broken[:20]:
                owner = conn.execute(
                    select(consent_events.c.seq).where(consent_events.c.hash == prev_hash)
                ).scalar()
                if owner is not None and owner != seq - 1:
                    report.problems.append(
                        f"seq {seq}: its prev_hash is the hash of seq {owner} (rows reordered)"
                    )
        return report

    def close(self) -> None:
        self._engine.dispose()


def _rows_of(result: Any) -> Iterator[chain.ChainRow]:
    for row in result:
        yield _chain_row(row)


class _AlreadyRecorded(Exception):
    """Rolls the append transaction back when the event_id turned up under the lock."""
