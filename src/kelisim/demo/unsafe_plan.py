"""The violations planted on the demo's unsafe twin (`/unsafe/…`), as data for the scanner tests.

The unsafe twin is the same site with a few mistakes real sites make. A scanner is only proven if it
finds each one (and nothing on the safe site); keeping the list as data here, next to the markup
that plants them, lets those tests say exactly what they expect, and docs/demo.md explains each
entry.

Every entry happens on every unsafe page, every time: none may depend on winning a race against
cmp.js, which holds whatever it reaches (that is its job). So each goes where cmp.js cannot reach,
as on real broken sites: synchronous tags above it, frames of the site's own that do not load it
(whose content the server picks from the consent cookie), and the site's own server.

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
    rule: str  # scanner rule id (V01–V14, docs/scanner.md)
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
        "Yandex Metrica is pasted above cmp.js as plain scripts with the synchronous tag.js: the "
        "parser runs it, and it sends its hit, before it even reaches Kelisim's tag, so before any "
        "choice.",
    ),
    PlantedViolation(
        "U02",
        "V01",
        "yandex_metrika",
        "no_choice",
        "cookies _ym_uid, _ym_d; localStorage _ym_uid",
        "The ungated Metrica tag writes its first-party cookies and localStorage before any "
        "choice.",
    ),
    PlantedViolation(
        "U03",
        "V02",
        "vk",
        "no_choice",
        "request vk.com/rtrg; third-party cookie remixstid",
        "VK's retargeting pixel code (new Image().src = 'https://vk.com/rtrg?p=…') is pasted above "
        "cmp.js too, so the pixel fires, and its answer sets remixstid, before any choice.",
    ),
    PlantedViolation(
        "U04",
        "V03",
        "microsoft_clarity",
        "reject_all",
        "requests www.clarity.ms/tag/, k.clarity.ms/collect; cookies _clck, _clsk",
        "Every page carries a 'session quality' frame of the site's own that does not load Kelisim "
        "(/unsafe/helpers/quality); the server renders Clarity into it once the consent cookie "
        "exists, whatever it says, so Clarity runs after 'Reject all' (and after a withdrawal).",
    ),
    PlantedViolation(
        "U05",
        "V04",
        "appsflyer",
        "custom",
        "requests websdk.appsflyer.com, wa.appsflyer.com/events; cookie afUserId",
        "Every page carries an 'attribution' frame without Kelisim (/unsafe/helpers/attribution); "
        "the server renders AppsFlyer into it when the consent cookie grants Google Analytics, so "
        "a visitor who granted only Google Analytics gets AppsFlyer too.",
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
        "Set-Cookie _clsk with Max-Age 30 days on the site's own pages",
        "The unsafe twin's server 'extends' Clarity's session cookie: every page it serves to a "
        "visitor who has _clsk re-sets it for 30 days, where the vendor (and the catalogue) "
        "declare 1 day. It also shows after 'Reject all' (U04).",
    ),
)
