"""The hash chain that makes the consent log tamper-evident, and the walk that checks it.

Each event's `digest` covers its fields in a canonical JSON form; `hash = sha256(prev_hash +
digest)` links it to the row before, so changing, removing or reordering a row breaks a digest or a
link that verify() names by sequence number.

The digest is built in two layers so that a subject's personal data can be destroyed later (Law 94-V
Art. 25, a "destroy" request) without breaking the proof of everything else: the personal fields are
hashed into `personal_digest`, and `digest` covers the other fields plus that hash. A purge blanks
the personal fields, keeps `personal_digest` and sets `redacted`; verify() then trusts the stored
`personal_digest` for that row only, still recomputes the rest, and still checks every link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# Fields a subject's "destroy" request blanks: they identify or locate the visitor.
PERSONAL_FIELDS = ("consent_id", "page", "region", "ip_prefix", "ip_hmac")

# What makes two requests "the same request" for idempotency: what the visitor sent and what it
# meant. The server's clock and the network context differ on a legitimate retry, so they are left
# out.
REQUEST_FIELDS = (
    "event_id",
    "consent_id",
    "site",
    "action",
    "status",
    "grants",
    "purposes",
    "revision",
    "catalogue_hash",
    "language",
    "page",
    "gpc",
)

# Longest value each text column holds; checked up front so both databases refuse the same input.
TEXT_LIMITS = {
    "event_id": 64,
    "consent_id": 128,
    "site": 64,
    "action": 16,
    "status": 16,
    "catalogue_hash": 80,
    "language": 16,
    "page": None,
    "region": 16,
    "device_class": 16,
    "ip_prefix": 64,
    "ip_hmac": 64,
}
REQUIRED_TEXT = (
    "event_id",
    "consent_id",
    "site",
    "action",
    "status",
    "catalogue_hash",
    "language",
    "device_class",
)
BOOL_FIELDS = ("is_bot", "gpc")
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    problems: list[str] = field(default_factory=list)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept, so a digest is reproducible."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def timestamp_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _checked_datetime(name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name}: an aware datetime is required (evidence times are UTC)")
    return value.astimezone(UTC)


def _checked_text(name: str, value: object) -> str | None:
    if value is None and name not in REQUIRED_TEXT:
        return None
    if not isinstance(value, str) or (name in REQUIRED_TEXT and not value):
        raise ValueError(f"{name}: a non-empty string is required")
    limit = TEXT_LIMITS[name]
    if limit is not None and len(value) > limit:
        raise ValueError(f"{name}: longer than {limit} characters")
    if "\x00" in value:
        raise ValueError(f"{name}: NUL characters cannot be stored")
    return value


def event_fields(event: Any) -> dict[str, Any]:
    """The event's fields in the JSON form that is digested and stored; rejects what cannot be."""
    fields: dict[str, Any] = {
        name: _checked_text(name, getattr(event, name)) for name in TEXT_LIMITS
    }
    for name in BOOL_FIELDS:
        value = getattr(event, name)
        if not isinstance(value, bool):
            raise ValueError(f"{name}: must be a bool")
        fields[name] = value
    revision = event.revision
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise ValueError("revision: must be an int")
    fields["revision"] = revision
    for name, value_type in (("grants", bool), ("purposes", str)):
        mapping = getattr(event, name)
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(v, value_type) for k, v in mapping.items()
        ):
            raise ValueError(f"{name}: must map strings to {value_type.__name__}")
        fields[name] = dict(mapping)
    for name in ("recorded_at", "expires_at"):
        fields[name] = timestamp_text(_checked_datetime(name, getattr(event, name)))
    return fields


def personal_digest(fields: Mapping[str, Any]) -> str:
    return _sha256(canonical_json({name: fields[name] for name in PERSONAL_FIELDS}))


def digest(fields: Mapping[str, Any], personal: str) -> str:
    record = {name: value for name, value in fields.items() if name not in PERSONAL_FIELDS}
    return _sha256(canonical_json({"personal": personal, "record": record}))


def link(prev_hash: str, event_digest: str) -> str:
    return _sha256(prev_hash + event_digest)


def request_fingerprint(fields: Mapping[str, Any]) -> str:
    return _sha256(canonical_json({name: fields[name] for name in REQUEST_FIELDS}))


@dataclass(frozen=True)
class ChainRow:
    """One stored row as verify() sees it: the event fields plus what the chain stored for it."""

    seq: int
    fields: Mapping[str, Any]
    redacted: bool
    request_fingerprint: str
    personal_digest: str
    digest: str
    prev_hash: str
    hash: str


@dataclass
class _Walk:
    problems: list[str] = field(default_factory=list)
    dropped: int = 0

    def report(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)
        else:
            self.dropped += 1


def _check_row(walk: _Walk, row: ChainRow) -> None:
    """Report a row whose content no longer matches its digest; one message per kind of damage."""
    if row.redacted:
        leftovers = [name for name in PERSONAL_FIELDS if row.fields[name]]
        if leftovers:
            walk.report(f"seq {row.seq}: redacted row still holds {', '.join(leftovers)}")
        personal = row.personal_digest
    else:
        personal = personal_digest(row.fields)
    if digest(row.fields, personal) != row.digest:
        walk.report(f"seq {row.seq}: content changed (digest mismatch)")
    elif not row.redacted:
        # The fields are intact, so only these stored derivatives can have been edited. A forged
        # personal_digest matters because a later redaction would trust it.
        if personal != row.personal_digest:
            walk.report(f"seq {row.seq}: personal_digest does not match the row's personal fields")
        if request_fingerprint(row.fields) != row.request_fingerprint:
            walk.report(f"seq {row.seq}: request_fingerprint does not match the row")
    if link(row.prev_hash, row.digest) != row.hash:
        walk.report(f"seq {row.seq}: hash is not sha256(prev_hash + digest)")


def walk_chain(
    rows: Iterable[ChainRow], head: tuple[int, str] | None
) -> tuple[VerifyReport, list[tuple[int, str]]]:
    """Check rows given in seq order against each other and the chain head.

    Returns the report and the (seq, prev_hash) pairs whose link broke, so the caller can look up
    which row that prev_hash belongs to (a reordering) without this walk holding every hash in
    memory.
    """
    walk = _Walk()
    broken_links: list[tuple[int, str]] = []
    checked = 0
    last_seq, last_hash = 0, GENESIS_HASH
    for row in rows:
        checked += 1
        _check_row(walk, row)
        if row.seq > last_seq + 1:
            first, last = last_seq + 1, row.seq - 1
            missing = f"{first}" if first == last else f"{first}..{last}"
            walk.report(f"seq {missing}: missing (rows removed before seq {row.seq})")
        if row.prev_hash != last_hash:
            before = f"seq {last_seq}" if last_seq else "the start of the chain"
            walk.report(
                f"seq {row.seq}: prev_hash does not match the hash of {before} "
                "(a row was removed, inserted or reordered)"
            )
            broken_links.append((row.seq, row.prev_hash))
        last_seq, last_hash = row.seq, row.hash
    if head is None:
        walk.report("chain_head: missing")
    else:
        head_seq, head_hash = head
        if head_seq != last_seq:
            detail = f" (rows after seq {last_seq} removed)" if head_seq > last_seq else ""
            walk.report(
                f"chain_head: records seq {head_seq} but the last row is seq {last_seq}{detail}"
            )
        elif head_hash != last_hash:
            walk.report(f"chain_head: last hash does not match the hash of seq {last_seq}")
    if walk.dropped:
        walk.problems.append(f"… and {walk.dropped} more problems")
    return VerifyReport(ok=not walk.problems, checked=checked, problems=walk.problems), broken_links
