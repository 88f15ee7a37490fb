"""The violations planted on the demo's unsafe twin (`/unsafe/…`), as data for the scanner tests.

The unsafe twin is the same site with a few mistakes real sites make. A scanner is only proven if it
finds each one (and nothing on the safe site); keeping the list as data here, next to the markup
that plants them, lets those tests say exactly what they expect, and docs/demo.md explains each
entry.

`state` names the consent state in which the violation shows:
  "no_choice"   before the visitor has chosen anything
  "reject_all"  after "Reject all"
  "custom"      after a custom choice granting only `grants`
  "accept_all"  after "Accept all"
"""

from __future__ import annotations

from dataclasses import dataclass

UNSAFE_PREFIX = "/unsafe"


@dataclass(frozen=True)
class PlantedViolation:
    id: str  # stable id for tests: "U01", …
    rule: str  # scanner rule id from DESIGN.md (V01–V14)
    vendor: str | None  # catalogue vendor id, or None for an artefact nobody declared
    state: str  # see the module docstring
    evidence: str  # what a scanner observes: a host, a cookie or a storage key
    description: str
    grants: tuple[str, ...] = ()  # for state "custom": the vendors granted
    pages: str = "every unsafe page"


PLANTED: tuple[PlantedViolation, ...] = (
    PlantedViolation(
        "U01",
        "V02",
        "yandex_metrika",
        "no_choice",
        "request mc.yandex.ru/metrika/tag.js, /watch/",
        "Yandex Metrica's snippet is pasted above cmp.js as plain scripts, so tag.js is requested "
        "before Kelisim runs and before any choice.",
    ),
    PlantedViolation(
        "U02",
        "V01",
        "yandex_metrika",
        "no_choice",
        "cookie _ym_uid; localStorage _ym_uid",
        "The ungated Metrica tag writes its first-party cookies and localStorage before any "
        "choice.",
    ),
    PlantedViolation(
        "U03",
        "V02",
        "vk",
        "no_choice",
        "request vk.com/rtrg (third-party cookie remixstid)",
        "The VK retargeting pixel is a plain <img src>, so it fires before any choice.",
    ),
    PlantedViolation(
        "U04",
        "V03",
        "microsoft_clarity",
        "reject_all",
        "request www.clarity.ms/tag/, k.clarity.ms/collect; cookies _clck, _clsk",
        "A 'session quality' helper opens a frame of the site's own that does not load Kelisim "
        "(/unsafe/helpers/quality) on every consent event, whatever the choice; the frame loads "
        "Clarity, so Clarity runs after 'Reject all'.",
    ),
    PlantedViolation(
        "U05",
        "V04",
        "appsflyer",
        "custom",
        "request websdk.appsflyer.com, wa.appsflyer.com/events; cookie afUserId",
        "An 'attribution helper' opens a frame without Kelisim (/unsafe/helpers/attribution) "
        "that loads AppsFlyer as soon as the Google Analytics tag goes live, so a visitor who "
        "granted only Google Analytics gets AppsFlyer too.",
        grants=("google_analytics",),
    ),
    PlantedViolation(
        "U06",
        "V06",
        None,
        "no_choice",
        "cookie _demo_fp",
        "A 'partner' script from the site's own host sets _demo_fp (a fingerprint id, 1 year), "
        "a cookie no vendor in the catalogue declares.",
    ),
    PlantedViolation(
        "U07",
        "V08",
        "microsoft_clarity",
        "accept_all",
        "cookie _clsk with a 30-day lifetime",
        "The 'session quality' frame re-writes Clarity's _clsk with a 30-day lifetime, where the "
        "vendor (and the catalogue) declare 1 day. It also shows after 'Reject all' (U04).",
    ),
)
