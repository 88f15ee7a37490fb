"""What a consent event commits to in the Merkle log: its leaf, in one canonical form.

The leaf is the UTF-8 canonical JSON `{"personal": <personal_digest>, "record": {...}}`: the event's
fields with the personal ones replaced by their own digest, so a subject's personal data can be
destroyed later (Law 94-V Art. 25, a "destroy" request; `kelisim db purge`) without changing the
leaf: a purge blanks the personal fields, keeps `personal_digest` and sets `redacted`; every leaf
hash, tree hash, checkpoint and proof stays valid, and `kelisim db verify` trusts the stored
`personal_digest` for that row only. The same form was the preimage of the old hash chain's
`digest`, so events recorded before the Merkle log (migration 0005) have the same leaves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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


def leaf(fields: Mapping[str, Any], personal: str) -> bytes:
    """The bytes the Merkle log hashes for this event (RFC 6962 leaf input)."""
    record = {name: value for name, value in fields.items() if name not in PERSONAL_FIELDS}
    return canonical_json({"personal": personal, "record": record}).encode("utf-8")


def request_fingerprint(fields: Mapping[str, Any]) -> str:
    return _sha256(canonical_json({name: fields[name] for name in REQUEST_FIELDS}))


def stored_leaf(event: Any, personal: str) -> bytes:
    """The leaf of an event read back from the log (its values were checked when appended;
    a redacted one has blank personal fields, which the leaf does not hold anyway)."""
    record: dict[str, Any] = {
        name: getattr(event, name) for name in TEXT_LIMITS if name not in PERSONAL_FIELDS
    }
    record.update(
        is_bot=bool(event.is_bot),
        gpc=bool(event.gpc),
        revision=event.revision,
        grants=dict(event.grants),
        purposes=dict(event.purposes),
        recorded_at=timestamp_text(event.recorded_at),
        expires_at=timestamp_text(event.expires_at),
    )
    return canonical_json({"personal": personal, "record": record}).encode("utf-8")
