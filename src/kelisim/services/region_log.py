"""Which region rule decided each consent event, kept beside the log by event id.

A side table rather than a column of the hash-chained event: the chain's record format is shared
by every event ever written, and a rule id is a fact about the server's configuration that the
archived catalogue snapshot (by catalogue_hash) already pins; this table says which of its rules
was applied. Keyed by event_id, which holds nothing personal, so a destroy request leaves it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from kelisim.store.integration_tables import region_decisions

__all__ = ["record_rule", "rules_of"]


def record_rule(engine: Engine, event_id: str, rule_id: str) -> None:
    """Idempotent: a replayed event keeps the rule its first recording named."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(region_decisions).values(
                    event_id=event_id, rule=rule_id, recorded_at=datetime.now(UTC)
                )
            )
    except IntegrityError:
        pass


def rules_of(engine: Engine, event_ids: Iterable[str]) -> dict[str, str]:
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return {}
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                select(region_decisions.c.event_id, region_decisions.c.rule).where(
                    region_decisions.c.event_id.in_(ids[start : start + 500])
                )
            ).all()
            found.update({row.event_id: row.rule for row in rows})
    return found
