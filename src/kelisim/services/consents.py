"""Recording a visitor's choice, and whether a recorded choice still holds: each decided once.

A choice reaches Kelisim by three doors: the banner's POST /api/v1/consent, the withdraw button
on the receipt page and the no-JavaScript preferences page. Before this module each door built its
own log event, and they drifted: the region rule (hidden vendors, a regional lifetime) applied to
the banner only, and only the banner's withdrawal reached the customer's other linked consents.
Here every door hands over what the visitor answered and where, and gets the same event, the
same region rule kept beside it and the same spread of a withdrawal (Law 94-V Art. 8: withdrawing
is as easy as giving, on every device of the customer). The clock is passed in so tests and
replays decide "now" themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from kelisim.domain import regions
from kelisim.domain.consent import Standing, Status, decide, standing
from kelisim.domain.context import RequestContext
from kelisim.services.links import Links
from kelisim.services.region_log import record_rule
from kelisim.services.subjects import is_blocked
from kelisim.store import ConsentStore, NewEvent, StoredEvent

__all__ = ["Answer", "Consents", "Recorded"]

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Answer:
    """What a visitor answered, as any door received it. `consent_id` is the choice's consent
    (new or continued), `event_id` the client's idempotency key for this one answer."""

    site: str
    consent_id: str
    event_id: str
    action: str
    language: str
    context: RequestContext
    choices: Mapping[str, bool] | None = None
    page: str | None = None
    gpc: bool = False


@dataclass(frozen=True)
class Recorded:
    """The stored event; `created` is False for a replayed event id, `spread` counts the
    withdrawals appended to the customer's other linked consents."""

    event: StoredEvent
    created: bool
    spread: int = 0


class Consents:
    """The consent use cases over one store; one per app."""

    def __init__(
        self, store: ConsentStore, links: Links, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.store = store
        self.links = links
        self.clock = clock

    def record(self, catalogue: object, answer: Answer) -> Recorded:
        """Decide what the answer grants under `catalogue` (the banner the visitor saw), restrict
        it by the visitor's region and append it.

        Raises kelisim.domain.consent.ConsentInputError for choices the catalogue cannot hold and
        kelisim.store.EventConflict for an event id already used with other content.
        """
        return self._record(catalogue, answer, spread=True)

    def standing(self, event: StoredEvent, catalogue: object) -> Standing:
        """Whether `event` (a consent's latest) still lets its vendors run under `catalogue`."""
        expires = event.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return standing(
            status=event.status,
            revision=event.revision,
            expires=expires,
            now=self.clock(),
            blocked=is_blocked(self.store.engine, event.consent_id),
            catalogue=catalogue,
        )

    def _record(self, catalogue: object, answer: Answer, *, spread: bool) -> Recorded:
        rule = regions.rule_for(catalogue.regions, answer.context.region)  # type: ignore[attr-defined]
        decision = regions.restrict(decide(catalogue, answer.action, answer.choices), rule)
        recorded_at = self.clock()
        context = answer.context
        stored, created = self.store.append(
            NewEvent(
                event_id=answer.event_id,
                consent_id=answer.consent_id,
                site=answer.site,
                action=decision.action,
                status=str(decision.status),
                grants=dict(decision.grants),
                purposes=decision.purposes(catalogue),
                revision=catalogue.revision,  # type: ignore[attr-defined]
                catalogue_hash=catalogue.content_hash,  # type: ignore[attr-defined]
                language=answer.language,
                page=answer.page,
                region=context.region,
                device_class=context.device_class,
                is_bot=context.is_bot,
                ip_prefix=context.ip_prefix,
                ip_hmac=context.ip_hmac,
                gpc=answer.gpc,
                recorded_at=recorded_at,
                expires_at=regions.expiry(
                    recorded_at,
                    catalogue.consent_lifetime_days,  # type: ignore[attr-defined]
                    rule,
                ),
            )
        )
        if not created:
            return Recorded(stored, created=False)
        if rule is not None:
            record_rule(self.store.write_engine, stored.event_id, rule.id)
        linked = self._spread(stored, catalogue) if spread else 0
        return Recorded(stored, created=True, spread=linked)

    def _spread(self, withdrawal: StoredEvent, catalogue: object) -> int:
        """Append a withdrawal to every other linked consent of the customer that still grants
        something. Each one's event id derives from the withdrawal's own, so a retried request
        (or two workers handling the same one) adds each linked withdrawal once."""
        if withdrawal.status != Status.WITHDRAWN:
            return 0
        spread = 0
        for consent_id in self.links.linked_consents(withdrawal.consent_id):
            latest = self.store.latest(consent_id)
            if latest is None or not any(latest.grants.values()):
                continue
            # Nobody visited: no region, network or page, only the device class the consent had.
            nowhere = RequestContext(
                region=None,
                device_class=latest.device_class,
                is_bot=False,
                ip_prefix=None,
                ip_hmac=None,
            )
            answer = Answer(
                site=latest.site,
                consent_id=consent_id,
                event_id=self.links.linked_event_id(withdrawal.event_id, consent_id),
                action="withdraw",
                language=latest.language,
                context=nowhere,
            )
            self._record(catalogue, answer, spread=False)
            spread += 1
        if spread:
            log.info("withdrawal spread to %d linked consent(s)", spread)
        return spread
