"""Subject requests: block, unblock and destroy a visitor's consent records; the retention purge.

Law 94-V Art. 25(2)(8) gives the operator one working day to block a subject's data on information
of a breach, to unblock it if the breach is not confirmed, and to destroy it when it is. Each of
these is one call here, audited in the same transaction as the change (kelisim.services.audit), with
the staff member's reason.

* Block: the consent reads as no consent everywhere (`is_blocked`: the API's verify answers
  `blocked`, the receipt page says so), while the records stay intact as evidence for the dispute.
* Destroy: every event of the consent has its personal fields (consent_id, page, region, ip_prefix,
  ip_hmac) blanked and `redacted` set. The Merkle log's leaves were built for exactly this
  (kelisim.store.leaves): the stored `personal_digest` stands in for the blanked fields, so the
  leaf,
  every proof and checkpoint stay valid and `kelisim db verify` still checks every decision. What
  stays is anonymous proof that some visitor chose X at time T
  under catalogue H.
* Purge: consents that ended (withdrawn, or expired) more than the retention period ago are
  destroyed the same way; blocked consents are skipped, because a block means the records are
  needed until the dispute is resolved.

Audit entries name a consent by a keyed hash (`ref`), never by its id: the audit log is kept
forever and must not hold the identifier a destroy request removed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, exists, func, insert, or_, select, update

from kelisim.services.audit import AuditLog
from kelisim.store.integration_tables import app_devices, customer_links
from kelisim.store.request_tables import subject_requests
from kelisim.store.schema import consent_events
from kelisim.store.stats_tables import subject_blocks

__all__ = [
    "Block",
    "PurgeReport",
    "SubjectError",
    "Subjects",
    "is_blocked",
]

Clock = Callable[[], datetime]
REASON_LIMIT = 1000
PURGE_BATCH = 500
REDACTED_VALUES = {
    "consent_id": "",
    "page": None,
    "region": None,
    "ip_prefix": None,
    "ip_hmac": None,
    "redacted": True,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class SubjectError(ValueError):
    """A request that cannot be carried out; `code` names why (for the UI's message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Block:
    consent_id: str
    blocked_at: datetime
    actor: str
    reason: str


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    consents: int
    events: int
    skipped_blocked: int
    dry_run: bool


def is_blocked(engine: Engine, consent_id: str) -> bool:
    """Whether a block stands for this consent: the one question the API and receipt ask."""
    if not consent_id:
        return False
    with engine.connect() as conn:
        found = conn.execute(
            select(subject_blocks.c.consent_id).where(subject_blocks.c.consent_id == consent_id)
        ).first()
    return found is not None


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise SubjectError("reason_required")
    return text[:REASON_LIMIT]


class Subjects:
    def __init__(
        self,
        engine: Engine,
        write_engine: Engine,
        audit: AuditLog,
        ref_key: bytes,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.audit = audit
        self.ref_key = ref_key
        self.clock = clock

    def ref(self, consent_id: str) -> str:
        """The audit log's name for a consent: a keyed hash whoever holds the id can recompute."""
        digest = hmac.new(self.ref_key, consent_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"consent:{digest[:20]}"

    def _exists(self, conn: object, consent_id: str) -> bool:
        query = select(exists().where(consent_events.c.consent_id == consent_id))
        return bool(conn.execute(query).scalar())  # type: ignore[attr-defined]

    def has_records(self, conn: object, consent_id: str) -> bool:
        """Whether the log holds events under this id (none once it is destroyed), inside the
        caller's transaction."""
        return self._exists(conn, consent_id)

    def block(self, consent_id: str, reason: str | None, actor: str) -> Block:
        reason = _clean_reason(reason)
        if not consent_id:
            raise SubjectError("unknown_consent")
        now = self.clock()
        with self.write_engine.begin() as conn:
            if not self._exists(conn, consent_id):
                raise SubjectError("unknown_consent")
            if conn.execute(
                select(subject_blocks.c.consent_id).where(subject_blocks.c.consent_id == consent_id)
            ).first():
                raise SubjectError("already_blocked")
            conn.execute(
                insert(subject_blocks).values(
                    consent_id=consent_id, blocked_at=now, actor=actor[:80], reason=reason
                )
            )
            self.audit.append(
                actor, "subject.block", self.ref(consent_id), after={"reason": reason},
                conn=conn, at=now,
            )  # fmt: skip
        return Block(consent_id=consent_id, blocked_at=now, actor=actor, reason=reason)

    def unblock(self, consent_id: str, reason: str | None, actor: str) -> None:
        reason = _clean_reason(reason)
        now = self.clock()
        with self.write_engine.begin() as conn:
            removed = conn.execute(
                delete(subject_blocks).where(subject_blocks.c.consent_id == consent_id)
            ).rowcount
            if not removed:
                raise SubjectError("not_blocked")
            self.audit.append(
                actor, "subject.unblock", self.ref(consent_id), after={"reason": reason},
                conn=conn, at=now,
            )  # fmt: skip

    def destroy(self, consent_id: str, reason: str | None, actor: str) -> int:
        """Redact every event of the consent; returns how many events were redacted."""
        reason = _clean_reason(reason)
        if not consent_id:
            raise SubjectError("unknown_consent")
        now = self.clock()
        with self.write_engine.begin() as conn:
            events = conn.execute(
                update(consent_events)
                .where(consent_events.c.consent_id == consent_id)
                .values(**REDACTED_VALUES)
            ).rowcount
            if not events:
                raise SubjectError("unknown_consent")
            conn.execute(delete(subject_blocks).where(subject_blocks.c.consent_id == consent_id))
            _forget_links(conn, [consent_id])
            self.audit.append(
                actor, "subject.destroy", self.ref(consent_id),
                after={"reason": reason, "events": events}, conn=conn, at=now,
            )  # fmt: skip
        return events

    def record_copy(self, consent_id: str, reason: str | None, actor: str) -> None:
        """Audit that the subject was given a copy of their record (Law 94-V Art. 25(2)(9)): the
        copy is the receipt page and its proof, so nothing changes but the log of who sent it."""
        reason = _clean_reason(reason)
        if not consent_id:
            raise SubjectError("unknown_consent")
        now = self.clock()
        with self.write_engine.begin() as conn:
            if not self._exists(conn, consent_id):
                raise SubjectError("unknown_consent")
            self.audit.append(
                actor, "subject.copy", self.ref(consent_id), after={"reason": reason},
                conn=conn, at=now,
            )  # fmt: skip

    def blocks(self, limit: int = 200) -> list[Block]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subject_blocks).order_by(subject_blocks.c.blocked_at.desc()).limit(limit)
            ).all()
        return [
            Block(consent_id=r.consent_id, blocked_at=r.blocked_at, actor=r.actor, reason=r.reason)
            for r in rows
        ]

    def block_of(self, consent_id: str) -> Block | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(subject_blocks).where(subject_blocks.c.consent_id == consent_id)
            ).first()
        if r is None:
            return None
        return Block(
            consent_id=r.consent_id, blocked_at=r.blocked_at, actor=r.actor, reason=r.reason
        )

    # -- retention ---------------------------------------------------------------------------

    def _ended_before(self, cutoff: datetime) -> tuple[list[str], int]:
        """(consent ids to destroy, how many blocked ones were left alone).

        A consent ended when its latest event is a withdrawal (at that event's time) or expired
        (at its expiry); refusals and dismissals expire like consents do, so their proof goes too.
        """
        events = consent_events.c
        latest = (
            select(events.consent_id, func.max(events.seq).label("seq"))
            .where(events.redacted.is_(False), events.consent_id != "")
            .group_by(events.consent_id)
            .subquery()
        )
        ended = or_(
            and_(events.status == "withdrawn", events.recorded_at < cutoff),
            events.expires_at < cutoff,
        )
        query = (
            select(events.consent_id, subject_blocks.c.consent_id.label("blocked"))
            .join(latest, events.seq == latest.c.seq)
            .outerjoin(subject_blocks, subject_blocks.c.consent_id == events.consent_id)
            .where(ended)
        )
        ids: list[str] = []
        blocked = 0
        with self.engine.connect() as conn:
            for consent_id, block in conn.execute(query):
                if block is None:
                    ids.append(consent_id)
                else:
                    blocked += 1
        return ids, blocked

    def purge(
        self,
        retention_days: int,
        *,
        now: datetime | None = None,
        dry_run: bool = False,
        actor: str = "kelisim db purge",
    ) -> PurgeReport:
        """Destroy consents that ended more than `retention_days` ago, in batches."""
        if retention_days < 0:
            raise ValueError("retention_days must not be negative")
        now = now or self.clock()
        cutoff = now - timedelta(days=retention_days)
        ids, blocked = self._ended_before(cutoff)
        events = 0
        if dry_run:
            with self.engine.connect() as conn:
                for batch in _batches(ids):
                    events += int(
                        conn.execute(
                            select(func.count()).where(consent_events.c.consent_id.in_(batch))
                        ).scalar_one()
                    )
        else:
            for batch in _batches(ids):
                with self.write_engine.begin() as conn:
                    events += conn.execute(
                        update(consent_events)
                        .where(consent_events.c.consent_id.in_(batch))
                        .values(**REDACTED_VALUES)
                    ).rowcount
                    _forget_links(conn, batch)
            self.audit.append(
                actor,
                "subject.purge",
                None,
                after={
                    "retention_days": retention_days,
                    "cutoff": cutoff.isoformat(timespec="seconds"),
                    "consents": len(ids),
                    "events": events,
                    "skipped_blocked": blocked,
                },
                at=now,
            )
        return PurgeReport(
            cutoff=cutoff, consents=len(ids), events=events, skipped_blocked=blocked,
            dry_run=dry_run,
        )  # fmt: skip


def _forget_links(conn: object, consent_ids: list[str]) -> None:
    """A destroyed consent keeps no app-device or customer link (kelisim.services.links), and its
    subject requests keep no consent id, contact or message (kelisim.services.subject_requests)."""
    for table in (app_devices, customer_links):
        conn.execute(delete(table).where(table.c.consent_id.in_(consent_ids)))  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        update(subject_requests)
        .where(subject_requests.c.consent_id.in_(consent_ids))
        .values(consent_id="", contact=None, message=None)
    )


def _batches(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), PURGE_BATCH):
        yield ids[start : start + PURGE_BATCH]
