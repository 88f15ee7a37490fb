"""The consent life cycle against a model: Hypothesis drives the real app's API
(give, change, withdraw, a new catalogue revision, time passing beyond the consent lifetime) and a
plain Python model side by side; after every step `/api/v1/consent/verify` must give, for every
consent, exactly the model's answer — and after a withdrawal, no vendor at all."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from kelisim.services.consents import Consents
from kelisim.web.api.use_cases import links
from kelisim.web.app import create_app
from tests.conftest import make_settings

EXAMPLES = int(os.environ.get("KELISIM_MODEL_EXAMPLES", "500"))


@dataclass
class Expected:
    token: str
    status: str
    granted: frozenset[str]
    revision: int
    expires: datetime


class _Clock:
    offset = timedelta(0)


def _shifted_now() -> datetime:
    """The consent use cases' idea of now, moved forward by the machine to make consents
    expire."""
    return datetime.now(UTC) + _Clock.offset


_APP: list = []


def _shared_app():
    if not _APP:
        import tempfile
        from pathlib import Path

        tmp = Path(tempfile.mkdtemp(prefix="kelisim-model-"))
        _APP.append(
            create_app(
                make_settings(f"sqlite:///{tmp / 'k.sqlite3'}", tmp).with_changes(
                    consent_rate_per_network=0, consent_rate_per_consent=0
                )
            )
        )
    return _APP[0]


class ConsentLifeCycle(RuleBasedStateMachine):
    consents = Bundle("consents")

    def __init__(self) -> None:
        super().__init__()
        # One app and database for all examples (migrations per example would dominate the run);
        # each example only checks the consents it made itself.
        self.app = _shared_app()
        self.client = self.app.test_client()
        self.svc = self.app.extensions["kelisim"]
        self.vendors = list(self.svc.catalogue.vendor_ids)
        self.model: dict[str, Expected] = {}
        self.bump = 0
        _Clock.offset = timedelta(0)
        with self.app.app_context():
            self.app.extensions["kelisim.consents"] = Consents(
                self.svc.store, links(), clock=_shifted_now
            )

    def teardown(self) -> None:
        _Clock.offset = timedelta(0)
        if hasattr(self, "_current"):
            self.svc.live.current = self._current

    # --- the model ---------------------------------------------------------------------------

    def _expected_grants(self, action: str, choices: dict[str, bool] | None) -> frozenset[str]:
        if action == "accept_all":
            return frozenset(self.vendors)
        if action == "custom":
            return frozenset(v for v, on in (choices or {}).items() if on)
        return frozenset()

    @staticmethod
    def _expected_status(action: str, granted: frozenset[str]) -> str:
        if action == "withdraw":
            return "withdrawn"
        if action == "dismiss":
            return "deferred"
        return "given" if granted else "refused"

    def _send(self, action: str, choices, consent_id: str | None) -> str | None:
        body = {
            "site": "default",
            "revision": self.svc.catalogue.revision,
            "language": "ru",
            "action": action,
            "event_id": secrets.token_urlsafe(12),
        }
        if choices is not None:
            body["choices"] = choices
        if consent_id is not None:
            body["consent_id"] = consent_id
        response = self.client.post("/api/v1/consent", json=body)
        assert response.status_code == 201, response.get_json()
        answer = response.get_json()
        granted = self._expected_grants(action, choices)
        status = self._expected_status(action, granted)
        assert answer["status"] == status
        assert set(answer["granted"]) == granted
        now = datetime.now(UTC) + _Clock.offset
        self.model[answer["consent_id"]] = Expected(
            token=answer["token"],
            status=status,
            granted=granted,
            revision=self.svc.catalogue.revision,
            expires=now + timedelta(days=self.svc.catalogue.consent_lifetime_days),
        )
        return answer["consent_id"]

    # --- rules --------------------------------------------------------------------------------

    choices = st.none()

    @rule(
        target=consents,
        action=st.sampled_from(["accept_all", "reject_all", "custom", "dismiss"]),
        picks=st.lists(st.booleans(), min_size=14, max_size=14),
    )
    def give(self, action, picks):
        choices = None
        if action == "custom":
            choices = {vendor: pick for vendor, pick in zip(self.vendors, picks, strict=False)}
        return self._send(action, choices, None)

    @rule(
        consent=consents,
        action=st.sampled_from(["accept_all", "reject_all", "custom"]),
        picks=st.lists(st.booleans(), min_size=14, max_size=14),
    )
    def change(self, consent, action, picks):
        choices = None
        if action == "custom":
            choices = {vendor: pick for vendor, pick in zip(self.vendors, picks, strict=False)}
        self._send(action, choices, consent)

    @rule(consent=consents)
    def withdraw(self, consent):
        self._send("withdraw", None, consent)
        assert self.model[consent].granted == frozenset()

    @rule()
    def new_revision(self):
        """A new material catalogue revision (a new vendor, say): every earlier consent is stale.
        A text fix, which keeps consents standing, is tests/test_material_changes.py's."""
        self.bump += 1
        live = getattr(self.svc, "live", None)
        if live is None:  # a plain catalogue attribute
            revision = self.svc.catalogue.revision + 1
            self.svc.catalogue = replace(
                self.svc.catalogue, revision=revision, consent_revision=revision
            )
            return
        if not hasattr(self, "_current"):
            self._current = live.current
            live.current = lambda: replace(
                self._current(),
                revision=self._current().revision + self.bump,
                consent_revision=self._current().revision + self.bump,
            )

    @rule()
    def time_passes_beyond_the_lifetime(self):
        _Clock.offset += timedelta(days=self.svc.catalogue.consent_lifetime_days + 1)

    # --- the check -------------------------------------------------------------------------------

    @invariant()
    def verify_agrees_with_the_model(self):
        now = datetime.now(UTC) + _Clock.offset
        for consent_id, expected in self.model.items():
            answer = self.client.post(
                "/api/v1/consent/verify", json={"token": expected.token}
            ).get_json()
            current = expected.revision == self.svc.catalogue.revision and expected.expires > now
            if not current:
                assert answer["valid"] is False, (consent_id, answer)
                continue
            assert answer["valid"] is True, (consent_id, answer)
            assert answer["consent_id"] == consent_id
            assert answer["status"] == expected.status
            assert set(answer["granted"]) == expected.granted
            if expected.status == "withdrawn":
                assert answer["granted"] == []


@pytest.mark.slow
def test_consent_life_cycle_matches_the_model():
    machine = ConsentLifeCycle.TestCase
    machine.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    try:
        machine().runTest()
    finally:
        if _APP:
            _APP.pop().extensions["kelisim"].close()
