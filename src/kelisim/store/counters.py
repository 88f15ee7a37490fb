"""The engine that writes the shared counters (rate limits, login throttle).

On PostgreSQL that is the store's own engine: every host already shares it, and the tables are
UNLOGGED, so a counter update costs no WAL flush. On SQLite (one host by nature) it is a second
engine on the same file whose connections commit without an fsync (`synchronous = NORMAL` in WAL
mode syncs at checkpoints only): a counter lost in a power cut forgets a throttle, nothing else,
and the consent log keeps its FULL sync on its own connections. Transactions take the write lock
at BEGIN, so a check-and-count never fails half way with SQLITE_BUSY.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

BUSY_TIMEOUT_MS = 5_000


def _sqlite_counter_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def counter_engine(store_engine: Engine, store_write_engine: Engine) -> Engine:
    """An engine for counter writes against the database `store_engine` points at."""
    if store_engine.dialect.name != "sqlite":
        return store_engine
    database = store_engine.url.database or ""
    if not database or database == ":memory:" or "mode=memory" in database:
        # A second engine would open a second, empty in-memory database.
        return store_write_engine
    engine = create_engine(store_engine.url, pool_pre_ping=True)
    event.listen(engine, "connect", _sqlite_counter_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine
