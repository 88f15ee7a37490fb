"""Evidence of consent on demand (Law 94-V Art. 25(2)(5)): the consent log as CSV and as
ISO/IEC TS 27560-style records, streamed so a range of millions of events never sits in memory.

One record per stored event (so no stored event is left out of the evidence), with the four
sections of TS 27560 (header, processing, parties, events; field list from the W3C DPV guide)
and the items Law 94-V Art. 8(4) asks a consent to state: operator name and BIN, validity,
third-party and cross-border flags with each vendor's country, purposes and data categories. The
notice is resolved from the archived catalogue snapshot of the event's `catalogue_hash`, so the
record shows what the visitor was told then, not what the banner says today.

IP prefix and IP hash are left out of both formats: they tie a record to a session inside the log,
and the export does not need them to prove the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from kelisim.store import StoredEvent, _stored_event
from kelisim.store.counting import DAY_OFFSET
from kelisim.store.schema import consent_events

__all__ = [
    "CSV_FIELDS",
    "MANDATORY_27560",
    "RECORD_SCHEMA",
    "csv_row",
    "day_bounds",
    "events_between",
    "missing_27560_fields",
    "record_27560",
]

RECORD_SCHEMA = "kelisim-27560/1"
STREAM_BATCH = 1000

CSV_FIELDS = (
    "seq", "event_id", "consent_id", "site", "recorded_at", "action", "status", "granted",
    "purposes", "revision", "catalogue_hash", "language", "page", "region", "device_class",
    "is_bot", "gpc", "expires_at", "redacted", "hash",
)  # fmt: skip

# Paths every record must carry (TS 27560 mandatory fields, DPV guide table).
MANDATORY_27560 = (
    "header.schema_version",
    "header.record_id",
    "header.principal_id",
    "processing.notice.policy_url",
    "processing.notice.catalogue_hash",
    "processing.language",
    "processing.purposes",
    "processing.pii_categories",
    "processing.controllers",
    "processing.storage_locations",
    "processing.retention",
    "processing.jurisdiction",
    "processing.recipients",
    "processing.withdrawal_method",
    "processing.cross_border_transfer",
    "processing.third_party_transfer",
    "processing.public_dissemination",
    "parties",
    "events",
)
_EVENT_FIELDS = ("time", "type", "state", "validity", "entity")
_PARTY_FIELDS = ("id", "name", "address", "contact", "type")

# DPV consent status of each stored status (W3C DPV consent status terms).
DPV_STATE = {
    "given": "dpv:ConsentGiven",
    "refused": "dpv:ConsentRefused",
    "withdrawn": "dpv:ConsentWithdrawn",
    "deferred": "dpv:ConsentRequestDeferred",
}
# What the visitor did, in DPV terms: a click on the banner is expressed consent; closing
# it expresses nothing.
DPV_TYPE = {
    "accept_all": "dpv:ExpressedConsent",
    "reject_all": "dpv:ExpressedConsent",
    "custom": "dpv:ExpressedConsent",
    "withdraw": "dpv:ExpressedConsent",
    "dismiss": "dpv:ConsentRequestDeferred",
}
PII_CATEGORIES = (
    {"id": "pd:OnlineIdentifier", "description": "cookie and device-storage identifiers"},
    {"id": "pd:BrowsingBehavior", "description": "pages visited and actions on the site"},
    {"id": "pd:DeviceBased", "description": "browser and device characteristics"},
)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Kazakhstan time, as UTC instants."""
    first = datetime.combine(start, time(), tzinfo=UTC) - DAY_OFFSET
    last = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC) - DAY_OFFSET
    return first, last


def events_between(engine: Engine, since: datetime, until: datetime) -> Iterator[StoredEvent]:
    """Events recorded in [since, until), in time order, read in batches from a server cursor."""
    query = (
        select(consent_events)
        .where(consent_events.c.recorded_at >= since, consent_events.c.recorded_at < until)
        .order_by(consent_events.c.recorded_at, consent_events.c.seq)
    )
    with engine.connect().execution_options(stream_results=True, yield_per=STREAM_BATCH) as conn:
        for row in conn.execute(query):
            yield _stored_event(row)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a leading = + - @ would be run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_row(event: StoredEvent) -> list[str]:
    values = {
        "seq": event.seq,
        "event_id": event.event_id,
        "consent_id": event.consent_id,
        "site": event.site,
        "recorded_at": _iso(event.recorded_at),
        "action": event.action,
        "status": event.status,
        "granted": " ".join(sorted(k for k, v in event.grants.items() if v)),
        "purposes": ";".join(f"{k}={v}" for k, v in sorted(event.purposes.items())),
        "revision": event.revision,
        "catalogue_hash": event.catalogue_hash,
        "language": event.language,
        "page": event.page,
        "region": event.region,
        "device_class": event.device_class,
        "is_bot": "true" if event.is_bot else "false",
        "gpc": "true" if event.gpc else "false",
        "expires_at": _iso(event.expires_at),
        "redacted": "true" if event.consent_id == "" else "false",
        "hash": event.hash,
    }
    return [csv_cell(values[name]) for name in CSV_FIELDS]


def _local(value: Any, language: str, default: str) -> str | None:
    if isinstance(value, Mapping):
        return value.get(language) or value.get(default) or next(iter(value.values()), None)
    return value


def record_27560(
    event: StoredEvent,
    shown: Mapping[str, Any],
    *,
    retention_days: int,
    receipt_url: Callable[[str], str],
) -> dict[str, Any]:
    """The TS 27560-style record of one event, with the notice as `shown` (its snapshot)."""
    language = event.language
    default = str(shown.get("default_language") or language)
    operator = shown.get("operator") or {}
    contact = operator.get("contact") or {}
    site = (shown.get("sites") or {}).get(event.site) or {}
    policy_url = site.get("policy_url") or operator.get("privacy_policy_url")
    lifetime_days = shown.get("consent_lifetime_days")
    redacted = event.consent_id == ""
    vendors = [v for v in shown.get("vendors") or () if isinstance(v, Mapping)]
    recipients = [
        {
            "id": vendor.get("id"),
            "name": vendor.get("name"),
            "company": vendor.get("company"),
            "country": vendor.get("country"),
            "cross_border": bool(vendor.get("data_leaves_kz")),
            "purposes": list(vendor.get("purposes") or ()),
            "granted": bool(event.grants.get(str(vendor.get("id")), False)),
        }
        for vendor in vendors
    ]
    purposes = [
        {
            "id": purpose.get("id"),
            "name": _local(purpose.get("name"), language, default),
            "description": _local(purpose.get("description"), language, default),
            "required": bool(purpose.get("required")),
            "state": event.purposes.get(str(purpose.get("id")), "denied"),
        }
        for purpose in shown.get("purposes") or ()
        if isinstance(purpose, Mapping)
    ]
    controller = {
        "id": "controller",
        "type": "legal entity",
        "role": "dpv:DataController",
        "name": operator.get("name"),
        "bin": operator.get("bin"),
        "address": contact.get("address"),
        "contact": {"email": contact.get("email"), "phone": contact.get("phone")},
        "url": operator.get("site_url"),
        "responsible_person": operator.get("responsible_person"),
    }
    return {
        "header": {
            "schema_version": RECORD_SCHEMA,
            "conforms_to": "ISO/IEC TS 27560:2023",
            "record_id": event.event_id,
            "principal_id": "redacted" if redacted else event.consent_id,
            "redacted": redacted,
        },
        "processing": {
            "notice": {
                "policy_url": policy_url,
                "catalogue_hash": event.catalogue_hash,
                "revision": event.revision,
                "language": language,
            },
            "language": language,
            "purposes": purposes,
            "pii_categories": list(PII_CATEGORIES),
            "controllers": [controller],
            "storage_locations": ["KZ"],
            "retention": {
                "consent_validity": f"P{lifetime_days}D" if lifetime_days else None,
                "proof_after_consent_ends": f"P{retention_days}D",
            },
            "jurisdiction": "KZ",
            "lawful_basis": "dpv:Consent",
            "collection_method": "website consent banner (Kelisim)",
            "recipients": recipients,
            "third_party_transfer": any(r["granted"] for r in recipients),
            "cross_border_transfer": any(r["granted"] and r["cross_border"] for r in recipients),
            "public_dissemination": False,
            "withdrawal_method": {
                "type": "dpv:WithdrawConsent",
                "description": "the receipt page's withdraw button, or the banner's settings",
                "url": None if redacted else receipt_url(event.consent_id),
            },
            "site": event.site,
        },
        "parties": [
            controller,
            {
                "id": "principal",
                "type": "natural person (pseudonymous website visitor)",
                "role": "dpv:DataSubject",
                "name": None,
                "address": None,
                "contact": None,
            },
        ],
        "events": [
            {
                "time": _iso(event.recorded_at),
                "type": DPV_TYPE.get(event.action, "dpv:ExpressedConsent"),
                "state": DPV_STATE.get(event.status, "dpv:ConsentUnknown"),
                "action": event.action,
                "entity": "principal",
                "validity": {
                    "from": _iso(event.recorded_at),
                    "until": _iso(event.expires_at),
                    "duration": f"P{lifetime_days}D" if lifetime_days else None,
                },
                "seq": event.seq,
                "hash": event.hash,
                "gpc": event.gpc,
            }
        ],
    }


def missing_27560_fields(record: Mapping[str, Any]) -> list[str]:
    """The mandatory paths a record lacks (empty = complete); a validator for exports and tests."""
    missing = []
    for path in MANDATORY_27560:
        node: Any = record
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                missing.append(path)
                break
            node = node[part]
        else:
            if node is None or node == [] or node == "":
                missing.append(path)
    for index, event in enumerate(record.get("events") or ()):
        missing += [f"events[{index}].{name}" for name in _EVENT_FIELDS if name not in event]
    for index, party in enumerate(record.get("parties") or ()):
        missing += [f"parties[{index}].{name}" for name in _PARTY_FIELDS if name not in party]
    return missing
