"""What each banner action grants, the status it is recorded under, how purposes follow vendors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kelisim.domain.catalogue import load
from kelisim.domain.consent import (
    ACTIONS,
    ConsentInputError,
    Standing,
    Status,
    decide,
    expires_at,
    standing,
)
from kelisim.settings import DEFAULT_CATALOGUE


@pytest.fixture(scope="module")
def catalogue():
    return load(DEFAULT_CATALOGUE)


def _shared_purpose(catalogue) -> tuple[str, list[str]]:
    """A non-required purpose served by at least two vendors, to tell "partial" from the rest."""
    for purpose in catalogue.purposes:
        vendors = [v.id for v in catalogue.vendors if purpose.id in v.purposes]
        if not purpose.required and len(vendors) >= 2:
            return purpose.id, vendors
    pytest.fail("the catalogue has no purpose shared by two vendors")


def test_accept_all_grants_every_vendor(catalogue) -> None:
    decision = decide(catalogue, "accept_all", None)
    assert decision.status is Status.GIVEN
    assert decision.granted_vendors == tuple(catalogue.vendor_ids)
    assert set(decision.grants) == set(catalogue.vendor_ids)


@pytest.mark.parametrize(
    ("action", "status"),
    [("reject_all", Status.REFUSED), ("withdraw", Status.WITHDRAWN), ("dismiss", Status.DEFERRED)],
)
def test_reject_withdraw_and_dismiss_grant_nothing(catalogue, action: str, status: Status) -> None:
    decision = decide(catalogue, action, None)
    assert decision.status is status
    assert decision.granted_vendors == ()
    assert set(decision.grants) == set(catalogue.vendor_ids)
    assert not any(decision.grants.values())


def test_choices_cannot_widen_a_refusal(catalogue) -> None:
    first = catalogue.vendor_ids[0]
    assert decide(catalogue, "reject_all", {first: True}).granted_vendors == ()
    assert decide(catalogue, "withdraw", {first: True}).granted_vendors == ()


def test_custom_grants_exactly_the_chosen_vendors(catalogue) -> None:
    first, second = catalogue.vendor_ids[:2]
    decision = decide(catalogue, "custom", {first: True, second: False})
    assert decision.status is Status.GIVEN
    assert decision.granted_vendors == (first,)
    assert set(decision.grants) == set(catalogue.vendor_ids)


def test_custom_with_nothing_granted_is_a_refusal(catalogue) -> None:
    assert decide(catalogue, "custom", {}).status is Status.REFUSED
    assert decide(catalogue, "custom", None).status is Status.REFUSED
    all_off = dict.fromkeys(catalogue.vendor_ids, False)
    assert decide(catalogue, "custom", all_off).status is Status.REFUSED


def test_statuses_use_dpv_names() -> None:
    assert [s.value for s in Status] == ["given", "refused", "withdrawn", "deferred"]
    assert ACTIONS == ("accept_all", "reject_all", "custom", "withdraw", "dismiss")


def test_unknown_vendor_is_an_input_error_naming_the_field(catalogue) -> None:
    with pytest.raises(ConsentInputError) as error:
        decide(catalogue, "custom", {"no_such_vendor": True})
    assert error.value.field == "choices.no_such_vendor"
    assert "unknown vendor" in error.value.message


@pytest.mark.parametrize("value", [1, 0, "true", None, [], {}, 1.0])
def test_non_boolean_choice_is_an_input_error(catalogue, value: object) -> None:
    vendor = catalogue.vendor_ids[0]
    with pytest.raises(ConsentInputError) as error:
        decide(catalogue, "custom", {vendor: value})  # type: ignore[dict-item]
    assert error.value.field == f"choices.{vendor}"


@pytest.mark.parametrize("choices", [["vk"], "vk", 3])
def test_choices_must_be_an_object(catalogue, choices: object) -> None:
    with pytest.raises(ConsentInputError) as error:
        decide(catalogue, "custom", choices)  # type: ignore[arg-type]
    assert error.value.field == "choices"


@pytest.mark.parametrize("action", ["accept", "", None, "ACCEPT_ALL"])
def test_unknown_action_is_an_input_error(catalogue, action: object) -> None:
    with pytest.raises(ConsentInputError) as error:
        decide(catalogue, action, None)  # type: ignore[arg-type]
    assert error.value.field == "action"


def test_gpc_does_not_override_an_explicit_choice(catalogue) -> None:
    assert decide(catalogue, "accept_all", None, True) == decide(catalogue, "accept_all", None)


def test_required_purposes_are_granted_even_on_refusal(catalogue) -> None:
    required = [p.id for p in catalogue.purposes if p.required]
    assert required, "the catalogue declares a required purpose"
    purposes = decide(catalogue, "reject_all", None).purposes(catalogue)
    assert all(purposes[p] == "granted" for p in required)
    assert all(v == "denied" for p, v in purposes.items() if p not in required)


def test_purpose_is_partial_when_only_some_of_its_vendors_are_granted(catalogue) -> None:
    purpose, vendors = _shared_purpose(catalogue)
    assert decide(catalogue, "custom", {vendors[0]: True}).purposes(catalogue)[purpose] == "partial"
    all_on = dict.fromkeys(vendors, True)
    assert decide(catalogue, "custom", all_on).purposes(catalogue)[purpose] == "granted"
    assert decide(catalogue, "accept_all", None).purposes(catalogue)[purpose] == "granted"
    other = next(v for v in catalogue.vendor_ids if v not in vendors)
    assert decide(catalogue, "custom", {other: True}).purposes(catalogue)[purpose] == "denied"


def test_purposes_cover_every_catalogue_purpose(catalogue) -> None:
    purposes = decide(catalogue, "accept_all", None).purposes(catalogue)
    assert list(purposes) == [p.id for p in catalogue.purposes]
    assert set(purposes.values()) == {"granted"}


def test_consent_expires_after_the_catalogue_lifetime(catalogue) -> None:
    recorded = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert expires_at(recorded, catalogue) == recorded + timedelta(
        days=catalogue.consent_lifetime_days
    )


def test_decision_cannot_be_changed_after_the_fact(catalogue) -> None:
    decision = decide(catalogue, "reject_all", None)
    with pytest.raises(TypeError):
        decision.grants[catalogue.vendor_ids[0]] = True  # type: ignore[index]


class _Revisions:
    """A catalogue at revision 5 whose last material change came at revision 3."""

    def consent_holds(self, revision: int) -> bool:
        return 3 <= revision <= 5


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "status, revision, expires, blocked, expected",
    [
        ("given", 4, NOW + timedelta(days=1), False, Standing.HOLDS),
        ("refused", 4, NOW + timedelta(days=1), False, Standing.NOT_GIVEN),
        ("withdrawn", 4, NOW + timedelta(days=1), False, Standing.NOT_GIVEN),
        ("given", 4, NOW, False, Standing.EXPIRED),  # the lifetime ends at its last instant
        ("given", 2, NOW + timedelta(days=1), False, Standing.STALE),
        # A block outranks everything, and a changed banner outranks the passing of time.
        ("given", 2, NOW - timedelta(days=1), True, Standing.BLOCKED),
        ("given", 2, NOW - timedelta(days=1), False, Standing.STALE),
        ("refused", 4, NOW - timedelta(days=1), False, Standing.EXPIRED),
    ],
)
def test_one_rule_decides_whether_a_choice_still_holds(
    status: str, revision: int, expires: datetime, blocked: bool, expected: Standing
) -> None:
    found = standing(
        status=status,
        revision=revision,
        expires=expires,
        now=NOW,
        blocked=blocked,
        catalogue=_Revisions(),
    )
    assert found is expected
