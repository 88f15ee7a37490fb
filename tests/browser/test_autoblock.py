"""Auto-blocking: the bootstrap first in <head>, then the vendors' standard snippets pasted as the
vendors give them, unmarked. In real Chromium, under the site's strict nonce CSP, against the real
app; every vendor hostname (and the host variants a gate can miss) resolves to the fake vendor host.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from banner_site import Kelisim, Site, Visit, new_visit

pytestmark = pytest.mark.browser

# Host variants of catalogue vendors that a list of exact hosts misses.
VARIANT_HOSTS = ("vk.ru", "cdn.jsdelivr.net", "x.clarity.ms", "www.google.com")
# The two snippets that name their script in the HTML itself (<script src> of gtag.js and of
# Amplitude's unified script): Chromium's preload scanner fetches such a URL while the page is still
# arriving, before any script of the page can run, so the GET is made; the gate keeps it from
# running (docs/gating.md says so, and says how to avoid even the GET).
PRELOADED = (
    "http://www.googletagmanager.com/gtag/js?id=G-KELISIM1",
    "http://cdn.amplitude.com/script/",
)
# What the unmarked page's fake vendor code marks as run (window.__kv).
UNMARKED_VENDORS = {
    "google_analytics",
    "google_tag_manager",
    "yandex_metrika",
    "microsoft_clarity",
    "vk",
    "mail_ru",
    "matomo",
    "amplitude",
}


@pytest.fixture(scope="module")
def variant_browser(banner_playwright, vendor_port: int, vendor_hosts: tuple[str, ...]):
    from scanner.browser import launch, resolver_rules

    hosts = (*vendor_hosts, *VARIANT_HOSTS)
    rules = resolver_rules({host: f"127.0.0.1:{vendor_port}" for host in hosts})
    extra = [f"--host-resolver-rules={rules}", "--disable-features=RenderDocument,HttpsUpgrades"]
    browser = launch(banner_playwright, extra_args=extra)
    yield browser
    browser.close()


@pytest.fixture
def gate_visit(
    variant_browser, site: Site, kelisim: Kelisim, vendor_hosts: tuple[str, ...]
) -> Iterator[Visit]:
    site.log.clear()
    site.csp_reports.clear()
    opened = new_visit(variant_browser, site, kelisim, (*vendor_hosts, *VARIANT_HOSTS))
    yield opened
    opened.context.close()


def assert_no_csp_violation(visit: Visit) -> None:
    assert visit.csp_violations() == []
    assert visit.site.csp_reports == []
    assert not [e for e in visit.console_errors if "Content Security Policy" in e]


def unpreloaded(visit: Visit) -> list[str]:
    return [u for u in visit.vendor_requests() if not u.startswith(PRELOADED)]


def consent_commands(visit: Visit) -> list[tuple[str, dict[str, Any]]]:
    """The Consent Mode commands in the dataLayer, in order."""
    return [
        (c[1], c[2])
        for c in visit.page.evaluate(
            "dataLayer.filter(a => a && a[0] === 'consent').map(a => Array.from(a))"
        )
    ]


@pytest.mark.parametrize("boot", ["served", "inline"])
def test_unmarked_snippets_run_nothing_before_a_choice(gate_visit: Visit, boot: str) -> None:
    gate_visit.open(path="/unmarked", boot=boot)
    gate_visit.settle(0.8)
    assert gate_visit.banner_visible()
    assert unpreloaded(gate_visit) == []
    assert gate_visit.loaded() == set()
    assert gate_visit.artefacts() == {
        "cookies": set(),
        "local": set(),
        "session": set(),
        "idb": set(),
    }
    assert_no_csp_violation(gate_visit)


@pytest.mark.parametrize("boot", ["served", "inline"])
def test_unmarked_snippets_run_after_accept_all_and_never_after_reject_all(
    gate_visit: Visit, texts, boot: str
) -> None:
    gate_visit.open(path="/unmarked", boot=boot)
    gate_visit.page.get_by_role("button", name=texts["reject_all"]).click()
    gate_visit.page.wait_for_selector("#kelisim", state="detached")
    gate_visit.settle(0.5)
    assert unpreloaded(gate_visit) == [] and gate_visit.loaded() == set()
    assert gate_visit.artefacts()["cookies"] == set()
    # The next page view, with the refusal stored: nothing either, not even a preloaded script run.
    gate_visit.site.log.clear()
    gate_visit.requests.clear()
    gate_visit.open(path="/unmarked", boot=boot)
    gate_visit.settle(0.5)
    assert not gate_visit.banner_visible()
    assert unpreloaded(gate_visit) == [] and gate_visit.loaded() == set()
    assert gate_visit.artefacts() == {
        "cookies": set(),
        "local": set(),
        "session": set(),
        "idb": set(),
    }
    assert_no_csp_violation(gate_visit)

    gate_visit.page.evaluate("kelisim.acceptAll()")
    gate_visit.settle(0.8)
    assert gate_visit.loaded() == UNMARKED_VENDORS
    reached = gate_visit.site.log.hosts()
    for host in ("mc.yandex.ru", "www.clarity.ms", "vk.com", "top-fwz1.mail.ru", "site"):
        assert host in reached
    assert gate_visit.site.log.any("www.googletagmanager.com", "/gtm.js?id=GTM-KELISIM")
    assert gate_visit.site.log.any("vk.com", "/rtrg?p=VK-RTRG")  # the pixel's onload ran
    cookies = gate_visit.artefacts()["cookies"]
    assert {"_ga", "_ym_uid", "_clck", "tmr_lvid", "_pk_id.1.f00d", "AMP_4b656c6973"} <= cookies
    assert_no_csp_violation(gate_visit)


def test_a_stored_consent_runs_the_unmarked_snippets_on_every_page_view(
    gate_visit: Visit,
) -> None:
    gate_visit.open(path="/unmarked")
    gate_visit.page.evaluate("kelisim.acceptAll()")
    gate_visit.settle(0.5)
    for _ in range(4):
        gate_visit.open(path="/unmarked")
        gate_visit.settle(0.5)
        assert gate_visit.loaded() == UNMARKED_VENDORS
        # Vendor APIs are told on every page view, whenever their code arrives.
        clarity = gate_visit.page.evaluate("window.__clarity")
        assert ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "granted"}] in clarity
        assert gate_visit.page.evaluate("window.__ampOptOut") is False
        # Matomo (in loaded()) counts only once it was given setConsentGiven on this page view.
        commands = consent_commands(gate_visit)
        kinds = [kind for kind, _ in commands]
        # Kelisim's default, the page's own default, then the update: never an update first.
        assert kinds[:2] == ["default", "default"] and "update" in kinds
        assert kinds.index("update") > 1
        assert commands[kinds.index("update")][1]["analytics_storage"] == "granted"
    assert_no_csp_violation(gate_visit)


def test_granting_only_the_tag_manager_grants_no_consent_mode_type(gate_visit: Visit) -> None:
    gate_visit.open(path="/unmarked")
    gate_visit.page.evaluate("kelisim.set({google_tag_manager: true})")
    gate_visit.settle(0.5)
    assert gate_visit.site.log.any("www.googletagmanager.com", "/gtm.js")
    # gtag.js is GA4's (a path rule on the tag manager's host): it stays held.
    assert gate_visit.loaded() == {"google_tag_manager"}
    assert "_ga" not in gate_visit.artefacts()["cookies"]
    update = [args for kind, args in consent_commands(gate_visit) if kind == "update"][-1]
    assert set(update.values()) == {"denied"}

    gate_visit.page.evaluate("kelisim.set({google_tag_manager: true, google_analytics: true})")
    gate_visit.settle(0.5)
    update = [args for kind, args in consent_commands(gate_visit) if kind == "update"][-1]
    assert update["analytics_storage"] == "granted"
    # No Google advertising product is declared: the ad_* types stay denied.
    assert {update[k] for k in ("ad_storage", "ad_user_data", "ad_personalization")} == {"denied"}
    assert "google_analytics" in gate_visit.loaded() and "_ga" in gate_visit.artefacts()["cookies"]
    assert_no_csp_violation(gate_visit)


# Every script-driven insertion path (window.__fire) and network API (window.__net), each with a
# vendor URL in one of the host variants.
PATHS_JS = (Path(__file__).parent / "insertion_paths.js").read_text(encoding="utf-8")
MARKUP_PATHS = ("via=write", "p=write", "via=import", "via=static-import", "via=style")
ELEMENT_PATHS = (
    "via=image", "via=script", "via=setattr", "via=iframe", "via=srcset", "via=source",
    "via=preload", "via=prefetch", "via=modulepreload", "via=stylesheet", "via=innerhtml",
    "via=outerhtml", "via=adjacent", "via=fragment", "via=fragment-script", "via=style-prop",
    "via=setproperty", "via=csstext", "via=insertrule",
)  # fmt: skip
NETWORK_PATHS = ("fetch", "beacon", "xhr", "eventsource", "websocket", "open")


def reached(visit: Visit, marker: str) -> bool:
    return any(marker in url for url in list(visit.requests))


def test_every_insertion_path_and_host_variant_is_held_then_released(gate_visit: Visit) -> None:
    sockets: list[str] = []
    gate_visit.page.on("websocket", lambda ws: sockets.append(ws.url))
    gate_visit.open(path="/paths")
    gate_visit.page.evaluate(PATHS_JS)
    results = gate_visit.page.evaluate("window.__fire()")
    gate_visit.settle(0.8)
    # A held XMLHttpRequest ends as a blocked one does: an error event, and no request.
    assert results == {**dict.fromkeys(NETWORK_PATHS, "held"), "xhr": "failed"}
    assert gate_visit.vendor_requests() == [] and sockets == []
    assert gate_visit.loaded() == set()

    gate_visit.page.evaluate("kelisim.acceptAll()")
    gate_visit.settle(0.8)
    missing = [m for m in (*MARKUP_PATHS, *ELEMENT_PATHS) if not reached(gate_visit, m)]
    assert missing == []
    assert gate_visit.site.log.any("mc.yandex.ru", "via=write")  # written, then run
    results = gate_visit.page.evaluate("window.__net()")
    gate_visit.settle(0.5)
    # www.google.com is HSTS-preloaded: the XHR is upgraded to HTTPS, which the fake host does not
    # speak, so it fails after being sent; the request itself is what counts.
    assert {k: v for k, v in results.items() if k != "xhr"} == dict.fromkeys(
        set(NETWORK_PATHS) - {"xhr"}, "sent"
    )
    for marker in ("via=fetch", "via=beacon", "via=xhr", "via=eventsource", "via=open"):
        assert reached(gate_visit, marker), marker
    assert any("via=websocket" in url for url in sockets)
    assert_no_csp_violation(gate_visit)
