"""Template clustering (`kelisim scan --cluster`): pages that behave alike run the full consent
matrix once.

A large site has hundreds of pages built from a handful of templates; visiting each of them in
every single-vendor state and after a withdrawal multiplies the scan by the number of vendors.
With clustering every page is still visited in `none`, `reject` and `accept` (the states whose
rules judge each page on its own: V01–V03, V05, V12, V13). From those three visits the page gets a
*tag fingerprint*: what its visitors' browsers really did, never its HTML, because two pages with
the same markup can load different tags (a script that decides by path, a tag manager rule). The
first page of a fingerprint, in crawl order, is the cluster's representative and runs every other
state; pages with the same fingerprint skip them, and the report says which pages were clustered
with which representative, which states they skipped and what the fingerprint holds.

The fingerprint is the set of, per visited state:
- requests to third parties and vendor-attributed first-party paths (Matomo's `/matomo.php`):
  host and path, the query too for scripts and frames (a tag manager's container id lives there,
  a pixel's query holds the page's own address), whether sent after the choice, and the vendors
  it is attributed to;
- cookies (name, domain) and storage keys (kind, key, origin) with their vendors;
- hosts whose scripts read a canvas back;
- how consent was set (Kelisim, autoconsent and its CMP, selectors) and the grants the CMP reports.

The site's own requests (its documents, images, API calls) are left out: they differ from page to
page and no rule judges them. A page whose base visits did not all succeed is never clustered.
Clustering is off by default: the fingerprint proves that two pages fire the same trackers when a
visitor says nothing, rejects or accepts, not that they treat a single-vendor grant or a withdrawal
alike (a tag gated on "any vendor granted" looks the same until a single vendor is granted).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kelisim.scanner.attribute import Attributor
from kelisim.scanner.model import STATE_ACCEPT, STATE_NONE, STATE_REJECT, Observation, Visit

BASE_STATES = (STATE_NONE, STATE_REJECT, STATE_ACCEPT)
# Resource types whose query names what is loaded (a container or property id), not the page.
QUERY_KEPT_FOR = {"script", "document", "subframe"}


@dataclass
class Cluster:
    """Pages with one tag fingerprint: `representative` ran every state, `pages` skipped
    `skipped_states`."""

    fingerprint: str
    representative: str
    pages: list[str] = field(default_factory=list)
    skipped_states: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def clustering_applies(states: Iterable[str]) -> bool:
    """Clustering saves visits only when the scan has states beyond the base three, and needs
    Reject and Accept to tell pages apart."""
    states = list(states)
    return {STATE_REJECT, STATE_ACCEPT} <= set(states) and bool(set(states) - set(BASE_STATES))


def _request_item(obs: Observation, first_party: bool, vendors: list[str]) -> str | None:
    if first_party and not vendors:
        return None  # the site's own documents, images and API calls vary from page to page
    parts = urlsplit(obs.url or "")
    where = f"{parts.hostname or obs.host}{parts.path}"
    if parts.query and (obs.resource_type or "").lower() in QUERY_KEPT_FOR:
        where += "?" + parts.query
    when = " after choice" if obs.after_choice else ""
    return f"request {where}{when}"


def _item(obs: Observation, attributed: Observation, attributor: Attributor) -> str | None:
    vendors = sorted(attributed.candidates or ([attributed.vendor] if attributed.vendor else []))
    if obs.kind == "request":
        item = _request_item(obs, attributor.is_first_party(obs.host), vendors)
    elif obs.kind == "cookie":
        item = f"cookie {obs.name} {(obs.host or '').lstrip('.')}"
    elif obs.kind == "storage":
        item = f"{obs.storage_kind or 'local'} storage {obs.name} @{obs.host}"
    else:
        item = None
    if item is None:
        return None
    return f"{item} [{', '.join(vendors)}]" if vendors else item


def _signal_item(visit: Visit) -> list[str]:
    items = []
    driving = visit.consent
    if driving is not None:
        items.append(f"consent set by {driving.method or 'nothing'} ({driving.cmp or '-'})")
    kelisim = visit.consent_signal.get("kelisim")
    if isinstance(kelisim, dict):
        grants = json.dumps(kelisim.get("vendors"), sort_keys=True)
        items.append(f"kelisim.get() revision {kelisim.get('revision')} grants {grants}")
    modes = visit.consent_signal.get("consent_mode")
    if modes:
        items.append(f"consent mode {json.dumps(modes, sort_keys=True)}")
    return items


def signature(visits: Iterable[Visit], attributor: Attributor) -> list[str]:
    """The sorted fingerprint items of one page's base visits (see the module's docstring)."""
    items: set[str] = set()
    for visit in visits:
        for obs in visit.observations:
            attributed = attributor.attribute(dataclasses.replace(obs))
            item = _item(obs, attributed, attributor)
            if item:
                items.add(f"{visit.state}: {item}")
        for read in visit.canvas_reads:
            items.add(f"{visit.state}: canvas read by {read.get('host') or '?'}")
        items.update(f"{visit.state}: {item}" for item in _signal_item(visit))
    return sorted(items)


def fingerprint(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


def plan(
    pages: list[str],
    base_visits: dict[str, list[Visit]],
    skipped_states: list[str],
    attributor: Attributor,
) -> tuple[list[Cluster], dict[str, str | None]]:
    """Group `pages` (in crawl order) by fingerprint; returns the clusters that have members and
    each page's fingerprint (None: a base visit failed, so the page runs every state)."""
    by_print: dict[str, Cluster] = {}
    prints: dict[str, str | None] = {}
    for page in pages:
        visits = base_visits.get(page, [])
        states = {v.state for v in visits if v.ok}
        if not set(BASE_STATES) <= states:
            prints[page] = None
            continue
        items = signature(visits, attributor)
        key = fingerprint(items)
        prints[page] = key
        cluster = by_print.get(key)
        if cluster is None:
            by_print[key] = Cluster(key, page, [], list(skipped_states), items)
        else:
            cluster.pages.append(page)
    return [c for c in by_print.values() if c.pages], prints
