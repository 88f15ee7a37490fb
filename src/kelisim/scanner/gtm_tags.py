"""Which Google Tag Manager tags fired in each consent state, read from the scan's own requests.

GTM has no public record of the tags it fired, but Chromium names the script behind every request
(Observation.initiator). A tag is code the container inserts: every script whose request was
initiated by a container (www.googletagmanager.com/gtm.js), and then by such a script, belongs to
the container, and so does every request those scripts send. Grouped by the vendor the scanner
attributed them to, they are the container's tags that fired in that state — what a marketer needs
to see next to "only Metrika was granted" (docs/gtm.md).

Works on Observation objects or on their report.json dicts; knows nothing of the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["by_state", "is_container"]

_CONTAINER = re.compile(r"^https?://www\.googletagmanager\.com/gtm\.js(?:[?#]|$)")
GTM_VENDOR = "google_tag_manager"


def is_container(url: str | None) -> bool:
    return bool(url and _CONTAINER.match(url))


def _get(observation: Any, name: str) -> Any:
    if isinstance(observation, dict):
        return observation.get(name)
    return getattr(observation, name, None)


def _bare(url: str | None) -> str | None:
    return url.split("#", 1)[0] if url else None


def _fired(requests: list[Any]) -> list[dict[str, Any]]:
    """The tags of one page visit: vendor -> the scripts GTM inserted and the requests they sent."""
    injected = {_bare(_get(o, "url")) for o in requests if is_container(_get(o, "url"))}
    if not injected:
        return []
    changed = True
    while changed:  # scripts inserted by inserted scripts, to a fixed point
        changed = False
        for o in requests:
            url = _bare(_get(o, "url"))
            if (
                url not in injected
                and _get(o, "resource_type") == "script"
                and _bare(_get(o, "initiator")) in injected
            ):
                injected.add(url)
                changed = True
    tags: dict[str, dict[str, Any]] = {}
    for o in requests:
        url = _bare(_get(o, "url"))
        if is_container(url) or _bare(_get(o, "initiator")) not in injected:
            continue
        vendor = _get(o, "vendor") or f"unattributed:{_get(o, 'host')}"
        if vendor == GTM_VENDOR:
            continue
        tag = tags.setdefault(vendor, {"vendor": vendor, "scripts": [], "requests": 0})
        tag["requests"] += 1
        if _get(o, "resource_type") == "script" and url not in tag["scripts"]:
            tag["scripts"].append(url)
    return sorted(tags.values(), key=lambda tag: tag["vendor"])


def by_state(observations: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """{state: [{"vendor", "scripts", "requests", "pages"}]} over every page of that state; a
    state where no container loaded maps to []."""
    visits: dict[tuple[str, str], list[Any]] = {}
    states: list[str] = []
    for o in observations:
        state = _get(o, "state")
        if state not in states:
            states.append(state)
        if _get(o, "kind") == "request":
            visits.setdefault((state, _get(o, "page")), []).append(o)
    result: dict[str, dict[str, dict[str, Any]]] = {state: {} for state in states}
    for (state, page), requests in visits.items():
        for tag in _fired(requests):
            merged = result[state].setdefault(
                tag["vendor"], {"vendor": tag["vendor"], "scripts": [], "requests": 0, "pages": []}
            )
            merged["requests"] += tag["requests"]
            merged["scripts"] += [s for s in tag["scripts"] if s not in merged["scripts"]]
            merged["pages"].append(page)
    return {
        state: sorted(tags.values(), key=lambda t: t["vendor"]) for state, tags in result.items()
    }
