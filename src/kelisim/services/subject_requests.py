"""The subject-request queue: a visitor asks on the receipt page, staff act within a working day.

Law 94-V Art. 25(2)(8) gives the operator one working day to block or destroy, and Art. 24 and
25(2)(9) give the subject a copy of their data; the lender's policy promises both. A request is
filed against the consent the receipt shows, due at the end of the next Kazakh working day
(kelisim.domain.workdays), and closed by a staff member whose action goes through
kelisim.services.subjects, so the block, destruction or copy is audited exactly as when staff act
on their own. The queue's own audit entries name a request by its reference and a consent by its
keyed hash, never by the consent id, the contact or the message.

Bounds: one open request per consent and kind (a second click shows the first one again), a
contact of at most CONTACT_LIMIT and a message of at most MESSAGE_LIMIT characters.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from kelisim.domain.workdays import WorkCalendar, due_after
from kelisim.services.audit import AuditLog
from kelisim.services.subjects import SubjectError, Subjects
from kelisim.store.request_tables import subject_requests

__all__ = [
    "ACTIONS",
    "KINDS",
    "RequestError",
    "SubjectRequest",
    "SubjectRequests",
]

Clock = Callable[[], datetime]
KINDS = ("block", "destroy", "copy")
# What staff can do to close a request, and the outcome it records.
ACTIONS = {"block": "blocked", "destroy": "destroyed", "copy": "copy_sent", "decline": "declined"}
CONTACT_LIMIT = 200
MESSAGE_LIMIT = 2000
NOTE_LIMIT = 1000
QUEUE_LIMIT = 500
# No 0/O or 1/I/L: the visitor may read the reference out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VISITOR = "subject"


def utc_now() -> datetime:
    return datetime.now(UTC)


class RequestError(ValueError):
    """A request that cannot be filed or closed; `code` names why, `field` the form field."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {code}" if field else code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class SubjectRequest:
    id: int
    reference: str
    consent_id: str
    kind: str
    contact: str | None
    message: str | None
    language: str
    received_at: datetime
    due_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None
    note: str | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_overdue(self, now: datetime) -> bool:
        """Open after its deadline; a request closed late is not overdue any more (the audit
        entry of its closing says it was late)."""
        return self.closed_at is None and now > self.due_at


def _row(row: object) -> SubjectRequest:
    return SubjectRequest(**{c.name: getattr(row, c.name) for c in subject_requests.columns})


def _text(value: str | None, limit: int, field: str) -> str | None:
    """Trimmed text without control characters (a crafted message must not forge lines in a mail
    or an export); None when empty; too long is refused, never silently cut."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").strip()
    if not text:
        return None
    if len(text) > limit:
        raise RequestError("too_long", field)
    if any(not (ch.isprintable() or ch == "\n") for ch in text):
        raise RequestError("control_characters", field)
    return text


def _reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class SubjectRequests:
    def __init__(
        self,
        engine: Engine,
        write_engine: Engine,
        audit: AuditLog,
        subjects: Subjects,
        calendar: WorkCalendar | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.audit = audit
        self.subjects = subjects
        self.calendar = calendar or WorkCalendar()
        self.clock = clock

    # -- the visitor's side --------------------------------------------------------------------

    def file(
        self,
        consent_id: str,
        kind: str,
        *,
        contact: str | None = None,
        message: str | None = None,
        language: str = "ru",
    ) -> tuple[SubjectRequest, bool]:
        """(the request, whether it is new): an open one of the same kind is returned as is."""
        if kind not in KINDS:
            raise RequestError("unknown_kind", "kind")
        contact = _text(contact, CONTACT_LIMIT, "contact")
        if contact is not None and "\n" in contact:
            raise RequestError("control_characters", "contact")
        message = _text(message, MESSAGE_LIMIT, "message")
        if not consent_id:
            raise RequestError("unknown_consent", "consent_id")
        now = self.clock()
        due = due_after(now, self.calendar)
        reference = _reference()
        with self.write_engine.begin() as conn:
            if not self.subjects.has_records(conn, consent_id):
                raise RequestError("unknown_consent", "consent_id")
            same = conn.execute(
                select(subject_requests).where(
                    subject_requests.c.consent_id == consent_id,
                    subject_requests.c.kind == kind,
                    subject_requests.c.closed_at.is_(None),
                )
            ).first()
            if same is not None:
                return _row(same), False
            conn.execute(
                insert(subject_requests).values(
                    reference=reference,
                    consent_id=consent_id,
                    kind=kind,
                    contact=contact,
                    message=message,
                    language=language[:8],
                    received_at=now,
                    due_at=due,
                )
            )
            self.audit.append(
                VISITOR,
                "subject_request.received",
                f"request:{reference}",
                after={
                    "kind": kind,
                    "consent": self.subjects.ref(consent_id),
                    "due_at": due.isoformat(timespec="seconds"),
                },
                conn=conn,
                at=now,
            )
            row = conn.execute(
                select(subject_requests).where(subject_requests.c.reference == reference)
            ).one()
        return _row(row), True

    def of_consent(self, consent_id: str) -> list[SubjectRequest]:
        """The visitor's own requests, newest first (their receipt page lists them)."""
        if not consent_id:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subject_requests)
                .where(subject_requests.c.consent_id == consent_id)
                .order_by(subject_requests.c.received_at.desc())
                .limit(50)
            ).all()
        return [_row(r) for r in rows]

    # -- the staff side ------------------------------------------------------------------------

    def get(self, reference: str) -> SubjectRequest | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(subject_requests).where(subject_requests.c.reference == reference)
            ).first()
        return _row(row) if row is not None else None

    def open_requests(self, limit: int = QUEUE_LIMIT) -> list[SubjectRequest]:
        """Open requests, the one due first at the top."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subject_requests)
                .where(subject_requests.c.closed_at.is_(None))
                .order_by(subject_requests.c.due_at, subject_requests.c.id)
                .limit(limit)
            ).all()
        return [_row(r) for r in rows]

    def recently_closed(self, limit: int = 50) -> list[SubjectRequest]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subject_requests)
                .where(subject_requests.c.closed_at.is_not(None))
                .order_by(subject_requests.c.closed_at.desc())
                .limit(limit)
            ).all()
        return [_row(r) for r in rows]

    def overdue(self, now: datetime | None = None) -> list[SubjectRequest]:
        now = now or self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subject_requests)
                .where(subject_requests.c.closed_at.is_(None), subject_requests.c.due_at < now)
                .order_by(subject_requests.c.due_at, subject_requests.c.id)
            ).all()
        return [_row(r) for r in rows]

    def close(self, reference: str, action: str, note: str | None, actor: str) -> SubjectRequest:
        """Carry out `action` through kelisim.services.subjects and close the request.

        A consent already blocked, or already destroyed, still closes a block or destroy request:
        what the visitor asked for holds. Declining needs a note (the reasoned refusal Art.
        25(2)(7) asks for); the other actions give kelisim.services.subjects the request's
        reference as the reason, with the note when there is one.
        """
        outcome = ACTIONS.get(action)
        if outcome is None:
            raise RequestError("unknown_action", "action")
        note = _text(note, NOTE_LIMIT, "note")
        if action == "decline" and note is None:
            raise RequestError("note_required", "note")
        request = self.get(reference)
        if request is None:
            raise RequestError("unknown_request")
        if not request.is_open:
            raise RequestError("already_closed")
        reason = f"subject request {reference}" + (f": {note}" if note else "")
        # A destruction makes every open request of the consent moot; they are found now, because
        # the destruction blanks the consent id they are found by.
        closing = [reference]
        if action == "destroy" and request.consent_id:
            closing += [
                other.reference
                for other in self.of_consent(request.consent_id)
                if other.is_open and other.reference != reference
            ]
        try:
            if action == "block":
                self.subjects.block(request.consent_id, reason, actor)
            elif action == "destroy":
                # Also blanks the consent id, contact and message of every request of the consent.
                self.subjects.destroy(request.consent_id, reason, actor)
            elif action == "copy":
                self.subjects.record_copy(request.consent_id, reason, actor)
        except SubjectError as error:
            tolerated = {"block": "already_blocked", "destroy": "unknown_consent"}
            if tolerated.get(action) != error.code:
                raise RequestError(error.code) from None
        now = self.clock()
        values: dict[str, object] = {
            "closed_at": now,
            "closed_by": actor[:80],
            "outcome": outcome,
            "note": note,
        }
        with self.write_engine.begin() as conn:
            closed = conn.execute(
                update(subject_requests)
                .where(
                    subject_requests.c.reference.in_(closing),
                    subject_requests.c.closed_at.is_(None),
                )
                .values(**values)
            ).rowcount
            if not closed:
                raise RequestError("already_closed")
            self.audit.append(
                actor,
                "subject_request.close",
                f"request:{reference}",
                before={"kind": request.kind, "due_at": request.due_at.isoformat()},
                after={"outcome": outcome, "late": now > request.due_at, "note": note},
                conn=conn,
                at=now,
            )
        closed_request = self.get(reference)
        assert closed_request is not None
        return closed_request
