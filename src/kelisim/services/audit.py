"""The admin audit log: who changed what, when, and the state before and after.

Staff can publish scripts onto the lender's site and manage each other's access, so every such
change is recorded. Entries are written in the same transaction as the change they
describe when the caller passes its connection, so a change never lands without its record.
The log holds staff usernames and object ids, never visitors' data, passwords or session ids.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from kelisim.store import audit_tree
from kelisim.store.admin_tables import audit_log

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


def _clean(text: str | None, limit: int) -> str | None:
    """Control characters would let a crafted name forge lines wherever the log is exported."""
    if text is None:
        return None
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)[:limit]


class AuditLog:
    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock

    def append(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        *,
        conn: Connection | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Record one change; pass `conn` to commit it together with the change itself."""
        values = {
            "at": at or self.clock(),
            "actor": _clean(actor, 80) or "?",
            "action": _clean(action, 64) or "?",
            "target": _clean(target, 200),
            "before": dict(before) if before is not None else None,
            "after": dict(after) if after is not None else None,
        }
        if conn is None:
            with self.engine.begin() as own:
                entry_id = self._insert(own, values)
        else:
            entry_id = self._insert(conn, values)
        return AuditEntry(id=entry_id, **values)

    @staticmethod
    def _insert(conn: Connection, values: Mapping[str, Any]) -> int:
        """The row and its leaf in the audit tree, in one transaction: no entry is ever outside
        the tree that the signed checkpoints cover."""
        entry_id = int(conn.execute(insert(audit_log).values(**values)).inserted_primary_key[0])
        audit_tree.extend(conn, {"id": entry_id, **values})
        return entry_id

    def list(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        actor: str | None = None,
        target: str | None = None,
    ) -> builtins.list[AuditEntry]:
        """Newest first; `before_id` pages backwards through older entries."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(max(1, min(limit, 1000)))
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        if actor is not None:
            query = query.where(audit_log.c.actor == actor)
        if target is not None:
            query = query.where(audit_log.c.target == target)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            AuditEntry(
                id=row["id"],
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                target=row["target"],
                before=row["before"],
                after=row["after"],
            )
            for row in rows
        ]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
