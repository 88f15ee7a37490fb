"""The app's consent use cases (kelisim.services.consents) and customer links, built on first use.

Lazily, because an app built in code may carry no IP pepper until a request needs one; every door
that records a choice (POST /consent, the receipt's withdraw button, the preferences page) takes
the same Consents from here.
"""

from __future__ import annotations

from flask import current_app

from kelisim.domain.regions import RegionRule, rule_for
from kelisim.services.consents import Consents
from kelisim.services.links import Links


def links() -> Links:
    """One Links per app, built on first use from the app's store, pepper and id key."""
    found = current_app.extensions.get("kelisim.links")
    if found is None:
        svc = current_app.extensions["kelisim"]
        found = Links(svc.store, svc.settings.ip_pepper, svc.id_key)
        current_app.extensions["kelisim.links"] = found
    return found


def consents() -> Consents:
    """One Consents per app, over the app's store and links."""
    found = current_app.extensions.get("kelisim.consents")
    if found is None:
        found = Consents(current_app.extensions["kelisim"].store, links())
        current_app.extensions["kelisim.consents"] = found
    return found


def region_rule(region: str | None) -> RegionRule | None:
    """The catalogue's rule for a visitor from `region` (None: no rule applies)."""
    return rule_for(current_app.extensions["kelisim"].catalogue.regions, region)
