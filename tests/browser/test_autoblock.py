"""Auto-blocking: the bootstrap first in <head>, then the vendors' standard snippets pasted as the
vendors give them, unmarked. In real Chromium, under the site's strict nonce CSP, against the real
app; every vendor hostname (and the host variants a gate can miss) resolves to the fake vendor host.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

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
    print(gate_visit.vendor_requests(), gate_visit.loaded(), gate_visit.console_errors)
    assert gate_visit.banner_visible()
    assert unpreloaded(gate_visit) == []
    assert gate_visit.loaded() == set()
    assert gate_visit.artefacts() == {"cookies": set(), "local": set(), "session": set(), "idb": set()}
    assert_no_csp_violation(gate_visit)
