"""What in a catalogue draft widens what may run on, or be contacted from, the lender's pages.

A second admin must approve any of it, because staff changes to what runs on the site are
audited and dual-controlled: a script host is new code on the pages,
and a beacon, iframe or pixel host, a path under a host, or a CORS origin is as much a new place
visitor data can flow to or come from as a script host is. Only widening counts: a removal or a
text edit narrows nothing and publishes at once.

Fields are found by shape, not by a fixed list, so a field added to the catalogue later
(`iframe_hosts`, `pixel_hosts`, ...) is covered the day it appears: any vendor list whose key is
`hosts`, `paths` or ends in `_hosts`, nested mappings such as `unknown:` included, and every site's
`origins`. The answer keeps the shape approvals already store (kelisim.services.revisions): a key
per vendor (or `site:<id>`) and the new entries, each prefixed with its field unless it is a script
host, so existing approvals read the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["widened_reach"]


def _is_reach_field(key: str) -> bool:
    return key in ("hosts", "paths", "origins") or key.endswith("_hosts")


def _entries(section: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(field, entry) for every string in a reach field, through nested mappings."""
    for key, value in section.items():
        if not isinstance(key, str):
            continue
        field = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _entries(value, f"{field}.")
        elif _is_reach_field(key) and isinstance(value, list):
            for entry in value:
                if isinstance(entry, str):
                    yield field, entry


def _label(field: str, entry: str) -> str:
    return entry if field == "script_hosts" else f"{field}: {entry}"


def _added(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    known = set(_entries(old or {}))
    return [_label(field, entry) for field, entry in _entries(new) if (field, entry) not in known]


def widened_reach(live: Mapping[str, Any], draft: Mapping[str, Any]) -> dict[str, list[str]]:
    """New hosts, paths and origins in `draft` compared with `live`, by vendor id / site."""
    result: dict[str, list[str]] = {}
    live_vendors = {
        vendor.get("id"): vendor for vendor in live.get("vendors") or [] if isinstance(vendor, dict)
    }
    for vendor in draft.get("vendors") or []:
        if not isinstance(vendor, dict):
            continue
        added = _added(live_vendors.get(vendor.get("id")), vendor)
        if added:
            result[str(vendor.get("id"))] = added
    live_sites = live.get("sites") or {}
    for site_id, site in (draft.get("sites") or {}).items():
        if isinstance(site, Mapping):
            old = live_sites.get(site_id) if isinstance(live_sites, Mapping) else None
            added = _added(old if isinstance(old, Mapping) else None, site)
            if added:
                result[f"site:{site_id}"] = added
    return result
