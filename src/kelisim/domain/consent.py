"""The consent domain: what a visitor's click means, per vendor, and how long it holds.

A click is turned into a Decision with a grant for every vendor of the catalogue, so the log never
has to guess what "accept all" covered on the day it was clicked. Statuses use the W3C DPV names,
which keep "refused" (the visitor said no) apart from "deferred" (the banner was closed without an
answer): a regulator asks exactly that question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

ACTIONS = ("accept_all", "reject_all", "custom", "withdraw", "dismiss")


class Status(StrEnum):
    """DPV consent statuses (dpv:ConsentGiven, …); only GIVEN is valid for processing."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    DEFERRED = "deferred"


class ConsentInputError(ValueError):
    """A choice that cannot be recorded as asked; `field` names the offending input for a 400."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Decision:
    action: str
    grants: Mapping[str, bool]
    status: Status

    @property
    def granted_vendors(self) -> tuple[str, ...]:
        return tuple(vendor_id for vendor_id, granted in self.grants.items() if granted)

    def purposes(self, catalogue: Any) -> dict[str, str]:
        """Per purpose: required ones are always on; others follow the vendors that serve them.

        "partial" exists because consent is per vendor: a visitor may allow one analytics vendor and
        refuse another, and the record must not round that to either yes or no.
        """
        result: dict[str, str] = {}
        for purpose in catalogue.purposes:
            if purpose.required:
                result[purpose.id] = "granted"
                continue
            flags = [
                self.grants.get(vendor.id, False)
                for vendor in catalogue.vendors
                if purpose.id in vendor.purposes
            ]
            if flags and all(flags):
                result[purpose.id] = "granted"
            elif any(flags):
                result[purpose.id] = "partial"
            else:
                result[purpose.id] = "denied"
        return result


_ALL_GRANTED = frozenset({"accept_all"})
_STATUS_BY_ACTION = {
    "accept_all": Status.GIVEN,
    "reject_all": Status.REFUSED,
    "withdraw": Status.WITHDRAWN,
    "dismiss": Status.DEFERRED,
}


def _checked_choices(catalogue: Any, choices: object) -> dict[str, bool]:
    if choices is None:
        return {}
    if not isinstance(choices, Mapping):
        raise ConsentInputError("choices", "must be an object mapping vendor ids to true or false")
    known = set(catalogue.vendor_ids)
    checked: dict[str, bool] = {}
    for vendor_id, granted in choices.items():
        if not isinstance(vendor_id, str) or vendor_id not in known:
            raise ConsentInputError(f"choices.{vendor_id}", f"unknown vendor {vendor_id!r}")
        # bool only: 1 or "true" would make the proof depend on how a client happened to encode it.
        if not isinstance(granted, bool):
            raise ConsentInputError(f"choices.{vendor_id}", "must be true or false")
        checked[vendor_id] = granted
    return checked


def decide(
    catalogue: Any,
    action: str,
    choices: Mapping[str, bool] | None = None,
    gpc: bool = False,
) -> Decision:
    """Turn one banner action into a grant for every vendor of `catalogue`.

    `gpc` (Global Privacy Control) only preselects refusal in the banner: an explicit action the
    visitor took afterwards is what they chose, so it does not change the grants here. It is
    accepted so callers can hand over the whole request; the API records it on the event.
    """
    del gpc
    if not isinstance(action, str) or action not in ACTIONS:
        raise ConsentInputError("action", f"must be one of {', '.join(ACTIONS)}")
    checked = _checked_choices(catalogue, choices)
    vendor_ids = tuple(catalogue.vendor_ids)
    if action == "custom":
        grants = {vendor_id: checked.get(vendor_id, False) for vendor_id in vendor_ids}
        status = Status.GIVEN if any(grants.values()) else Status.REFUSED
    else:
        everything = action in _ALL_GRANTED
        grants = dict.fromkeys(vendor_ids, everything)
        status = _STATUS_BY_ACTION[action]
    return Decision(action=action, grants=MappingProxyType(grants), status=status)


def expires_at(recorded_at: datetime, catalogue: Any) -> datetime:
    """When a choice stops holding and the visitor is asked again (EDPB: refresh at intervals)."""
    return recorded_at + timedelta(days=catalogue.consent_lifetime_days)


class Standing(StrEnum):
    """Whether a recorded choice still lets its granted vendors run, and if not, why.

    The values are the reasons the API's verify answer gives (`stale_revision`, …), so the
    banner, the receipt page and an integrating backend read one vocabulary.
    """

    HOLDS = "holds"
    NOT_GIVEN = "not_given"  # refused, withdrawn or deferred: nothing was granted to run
    BLOCKED = "blocked"  # a subject request blocked the consent until it is lifted
    STALE = "stale_revision"  # a material publish came after the banner the visitor answered
    EXPIRED = "expired"  # the consent lifetime ran out: the visitor is asked again


def standing(
    *, status: str, revision: int, expires: datetime, now: datetime, blocked: bool, catalogue: Any
) -> Standing:
    """The one rule for a choice's validity, in the order a visitor is told about it: a block
    outranks everything, a changed banner outranks the passing of time, and only then does the
    status itself say whether anything was granted."""
    if blocked:
        return Standing.BLOCKED
    if not catalogue.consent_holds(revision):
        return Standing.STALE
    if expires <= now:
        return Standing.EXPIRED
    if status != Status.GIVEN:
        return Standing.NOT_GIVEN
    return Standing.HOLDS
