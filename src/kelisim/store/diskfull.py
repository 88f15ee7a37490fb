"""Writes that recover by themselves once a full disk has space again (SQLite).

With SQLite in WAL mode every commit appends to the -wal file, and only a checkpoint moves those
pages into the database and lets the WAL start over. SQLite checkpoints automatically after a
commit once the WAL holds 1000 pages; on a nearly full disk commits fail before that, so no
checkpoint ever runs: freed space is taken again by the growing WAL, and consents were refused
(503) until a restart closed every connection (the last close checkpoints and deletes the WAL).

Here a "database or disk is full" error marks the engine: the failed connection is dropped from
the pool (its state after SQLITE_FULL is not trusted) and the next connection checked out runs
`PRAGMA wal_checkpoint(TRUNCATE)`, which copies the committed pages into the database file and
cuts the WAL to zero bytes. Until that succeeds the database is not used (a 503, as while the disk
was full), so freed space goes to the checkpoint and not to more WAL; each request tries again.
Afterwards the WAL is kept short (SHORT_WAL_PAGES) and `journal_size_limit` keeps an emptied WAL
from staying at its largest size on disk. Nothing here changes what is durable: a checkpoint only
moves committed pages.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

__all__ = ["JOURNAL_SIZE_LIMIT", "recover_from_full_disk"]

log = logging.getLogger(__name__)

JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024
_FLAG = "kelisim_checkpoint_due"
_SHORT = "kelisim_short_wal"
# After a full disk, this process checkpoints every 64 pages (256 KiB) instead of SQLite's 1000
# (4 MiB): a disk that has been full once is likely to run short again, and a short WAL leaves
# the space to the data. It costs a few more checkpoints, nothing in durability.
SHORT_WAL_PAGES = 64


def _is_disk_full(error: BaseException | None) -> bool:
    if not isinstance(error, sqlite3.Error):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    return code == 13 or "disk is full" in str(error)  # SQLITE_FULL


def recover_from_full_disk(engine: Engine) -> None:
    """Install the recovery on a SQLite engine (a no-op for other databases)."""
    if engine.dialect.name != "sqlite":
        return
    state: dict[str, bool] = {_FLAG: False, _SHORT: False}

    @event.listens_for(engine, "connect")
    def _limit_journal(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        finally:
            cursor.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        if _is_disk_full(context.original_exception):
            state[_FLAG] = True
            context.is_disconnect = True  # drop this connection, not the whole pool
            context.invalidate_pool_on_disconnect = False
            log.error("the disk holding the SQLite database is full; writes are refused")

    @event.listens_for(engine, "checkout")
    def _checkpoint(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
        if not state[_FLAG] and not state[_SHORT]:
            return
        cursor = dbapi_connection.cursor()
        try:
            if state[_SHORT]:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {SHORT_WAL_PAGES}")
            if not state[_FLAG]:
                return
            busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as error:
            # Still too full to checkpoint: refuse this use of the database (a 503) rather than
            # let a commit spend freed space on the WAL, which is how writes stayed refused.
            raise OperationalError("PRAGMA wal_checkpoint(TRUNCATE)", None, error) from None
        finally:
            cursor.close()
        if not busy:
            state[_FLAG] = False
            state[_SHORT] = True
            log.info("WAL checkpointed and truncated after a full disk; writes resume")
