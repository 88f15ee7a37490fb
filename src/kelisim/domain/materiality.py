"""Whether a new catalogue revision needs every visitor's consent again.

A consent is informed (Law 94-V Art. 7–8) about what the banner said: which vendors, for which
purposes, reaching which hosts, storing what, for how long and where the data goes. A revision
that changes any of that for the wider is material, and a choice made before it no longer stands.
A revision that fixes wording, narrows what runs or removes a vendor is not: asking again for a
typo fix only teaches visitors to click without reading. The rules are here, apart from the
admin and the API, so the publish page and the tests judge a change the same way.
"""

from __future__ import annotations

from kelisim.domain.catalogue import Catalogue, Vendor


def reasons_to_ask_again(before: Catalogue, after: Catalogue) -> list[str]:
    """What in `after` widens what visitors agreed to under `before`; empty: nothing material.

    Each reason is one short English line for the audit log and the publish page."""
    reasons: list[str] = []
    old_purposes = {purpose.id: purpose for purpose in before.purposes}
    for purpose in after.purposes:
        old = old_purposes.get(purpose.id)
        if old is None:
            reasons.append(f"new purpose {purpose.id}")
        elif purpose.required and not old.required:
            reasons.append(f"purpose {purpose.id} becomes always on")
    old_vendors = {vendor.id: vendor for vendor in before.vendors}
    for vendor in after.vendors:
        old_vendor = old_vendors.get(vendor.id)
        if old_vendor is None:
            reasons.append(f"new vendor {vendor.id}")
        else:
            reasons.extend(f"vendor {vendor.id}: {reason}" for reason in _wider(old_vendor, vendor))
    if after.consent_lifetime_days > before.consent_lifetime_days:
        reasons.append(
            f"consent lasts {after.consent_lifetime_days} days instead of "
            f"{before.consent_lifetime_days}"
        )
    return reasons


def _added(before: tuple[str, ...], after: tuple[str, ...]) -> list[str]:
    known = set(before)
    return [item for item in after if item not in known]


def _wider(before: Vendor, after: Vendor) -> list[str]:
    reasons = [f"new purpose {purpose}" for purpose in _added(before.purposes, after.purposes)]
    for label, old, new in (
        ("script host", before.script_hosts, after.script_hosts),
        ("beacon host", before.beacon_hosts, after.beacon_hosts),
        ("domain", before.domains, after.domains),
        ("URL", before.urls, after.urls),
        ("path", before.paths, after.paths),
        ("Consent Mode type", before.consent_mode, after.consent_mode),
    ):
        reasons.extend(f"new {label} {item}" for item in _added(old, new))
    old_cookies = {(cookie.name, cookie.match) for cookie in before.cookies}
    reasons.extend(
        f"new cookie {cookie.name}"
        for cookie in after.cookies
        if (cookie.name, cookie.match) not in old_cookies
    )
    old_cookie_lifetimes = {cookie.name: cookie for cookie in before.cookies}
    for cookie in after.cookies:
        old_cookie = old_cookie_lifetimes.get(cookie.name)
        if (
            old_cookie is not None
            and old_cookie.lifetime_known
            and _longer(old_cookie.lifetime_seconds, cookie.lifetime_seconds)
        ):
            reasons.append(f"cookie {cookie.name} lives longer")
    old_storage = {(item.kind, item.key, item.match) for item in before.storage}
    reasons.extend(
        f"new {item.kind} key {item.key}"
        for item in after.storage
        if (item.kind, item.key, item.match) not in old_storage
    )
    if after.data_leaves_kz and not before.data_leaves_kz:
        reasons.append("data now leaves Kazakhstan")
    if after.country != before.country and after.country is not None:
        reasons.append(f"data goes to {after.country}")
    if after.company != before.company:
        reasons.append(f"another company: {after.company}")
    return reasons


def _longer(before: int | None, after: int | None) -> bool:
    """None is a session cookie: any fixed lifetime after it is longer."""
    if after is None:
        return False
    return before is None or after > before
