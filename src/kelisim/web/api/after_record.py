"""What the web layer does around recording a consent event, beyond the log itself.

Called by kelisim.web.api.consents (POST /consent) and kelisim.web.receipt.page (the withdraw
button) so both paths behave the same: the region rule that decided the event is kept
(kelisim.services.region_log), and a withdrawal reaches every other consent linked to the same
customer (kelisim.services.links), e.g. the lender's app.
"""

from __future__ import annotations

import logging

from flask import current_app

from kelisim.domain.regions import RegionRule, rule_for
from kelisim.services.links import Links
from kelisim.services.region_log import record_rule
from kelisim.store import StoredEvent

log = logging.getLogger(__name__)


def links() -> Links:
    """One Links per app, built on first use from the app's store, pepper and id key."""
    found = current_app.extensions.get("kelisim.links")
    if found is None:
        svc = current_app.extensions["kelisim"]
        found = Links(svc.store, svc.settings.ip_pepper, svc.id_key)
        current_app.extensions["kelisim.links"] = found
    return found


def region_rule(region: str | None) -> RegionRule | None:
    """The catalogue's rule for a visitor from `region` (None: no rule applies)."""
    return rule_for(current_app.extensions["kelisim"].catalogue.regions, region)


def after_append(stored: StoredEvent, created: bool, rule: RegionRule | None = None) -> None:
    if not created:
        return
    svc = current_app.extensions["kelisim"]
    if rule is not None:
        record_rule(svc.store.write_engine, stored.event_id, rule.id)
    if stored.status == "withdrawn":
        spread = links().spread_withdrawal(stored, svc.catalogue)
        if spread:
            log.info(
                "withdrawal spread to %d linked consent(s): consent=%s",
                len(spread),
                svc.log_id(stored.consent_id),
            )
