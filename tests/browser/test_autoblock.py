"""Auto-blocking: the bootstrap first in <head>, then the vendors' standard snippets pasted as the
vendors give them, unmarked. In real Chromium, under the site's strict nonce CSP, against the real
app; every vendor hostname (and the host variants a gate can miss) resolves to the fake vendor host.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.banner_site import Kelisim, Site, Visit, new_visit

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
    from kelisim.scanner.browser import launch, resolver_rules

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


# The served bootstrap with cmp.js?gate=0, and the inline one with the gate's second copy in cmp.js
# (which then just uses the first).
@pytest.mark.parametrize(("boot", "gate"), [("served", "0"), ("inline", "1")])
def test_unmarked_snippets_run_nothing_before_a_choice(gate_visit: Visit, boot, gate) -> None:
    gate_visit.open(path="/unmarked", boot=boot, gate=gate)
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


@pytest.mark.parametrize(("boot", "gate"), [("served", "0"), ("inline", "1")])
def test_unmarked_snippets_run_after_accept_all_and_never_after_reject_all(
    gate_visit: Visit, texts, boot: str, gate: str
) -> None:
    gate_visit.open(path="/unmarked", boot=boot, gate=gate)
    gate_visit.page.get_by_role("button", name=texts["reject_all"]).click()
    gate_visit.page.wait_for_selector("#kelisim", state="detached")
    gate_visit.settle(0.5)
    assert unpreloaded(gate_visit) == [] and gate_visit.loaded() == set()
    assert gate_visit.artefacts()["cookies"] == set()
    # The next page view, with the refusal stored: nothing either, not even a preloaded script run.
    gate_visit.site.log.clear()
    gate_visit.requests.clear()
    gate_visit.open(path="/unmarked", boot=boot, gate=gate)
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
    "via=innerhtml-srcset", "via=outerhtml", "via=adjacent", "via=fragment",
    "via=fragment-script", "via=style-prop", "via=setproperty", "via=csstext", "via=insertrule",
)  # fmt: skip
NETWORK_PATHS = ("fetch", "beacon", "xhr", "eventsource", "websocket", "open")


def reached(visit: Visit, marker: str) -> bool:
    return any(marker in url for url in list(visit.requests))


# `pieces`: the page arrives cut inside every script (tests/support/banner_site.py::in_pieces), so
# the gate first sees each inline script empty or half-written, as on a slow connection.
@pytest.mark.parametrize(
    ("boot", "gate", "pieces"), [("served", "0", "0"), ("inline", "1", "0"), ("inline", "1", "1")]
)
def test_every_insertion_path_and_host_variant_is_held_then_released(
    gate_visit: Visit, boot: str, gate: str, pieces: str
) -> None:
    sockets: list[str] = []
    gate_visit.page.on("websocket", lambda ws: sockets.append(ws.url))
    gate_visit.open(path="/paths", boot=boot, gate=gate, pieces=pieces)
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


# --- withdrawal and block reach the open tab ------------------------------------------------------

EMPTY = {"cookies": set(), "local": set(), "session": set(), "idb": set()}
REVERIFY = 2  # seconds, through data-reverify; the default is 30


def open_with_everything_running(visit: Visit, reverify: int) -> str:
    """The site in one tab with every vendor granted and running; returns the consent id."""
    visit.open(reverify=reverify)
    consent_id = visit.page.evaluate("kelisim.acceptAll().then(s => s.consent_id)")
    visit.settle(0.5)
    before = visit.artefacts()
    assert {"_ym_uid", "_ga", "_clck", "tmr_lvid", "AMP_4b656c6973"} <= before["cookies"]
    assert {"_ym_uid", "AMP_unsent_4b656c6973"} <= before["local"] and "_cltk" in before["session"]
    visit.page.evaluate("window.__stayed = true")  # gone if the tab reloaded
    return consent_id


def site_artefacts(visit: Visit) -> dict[str, set[str]]:
    """What the site's tab holds (not the receipt page's own session cookie on the CMP host)."""
    found = visit.artefacts()
    site_cookies = {c["name"] for c in visit.context.cookies(visit.site.base)}
    found["cookies"] &= site_cookies - {"kelisim_consent"}
    return found


def wait_until_cleaned(visit: Visit, within: float) -> float:
    """Seconds until the tab holds no vendor artefact (cookies, storage, IndexedDB)."""
    start = time.monotonic()
    while time.monotonic() < start + within:
        if site_artefacts(visit) == EMPTY:
            return time.monotonic() - start
        visit.page.wait_for_timeout(100)
    raise AssertionError(f"still there after {within} s: {site_artefacts(visit)}")


def assert_loads_no_vendor_any_more(visit: Visit) -> None:
    visit.site.log.clear()
    visit.requests.clear()
    visit.page.evaluate(
        """() => {
            new Image().src = 'http://mc.yandex.ru/watch/12345678?after=1';
            fetch('http://api2.amplitude.com/2/httpapi?after=1', {method: 'POST'}).catch(() => {});
            navigator.sendBeacon('http://a.clarity.ms/collect?after=1', 'x');
            const s = document.createElement('script');
            s.src = 'http://vk.com/js/api/openapi.js?after=1'; document.body.append(s);
        }"""
    )
    visit.settle(0.5)
    assert visit.vendor_requests() == [] and visit.site.log.hits == []
    assert visit.page.evaluate("window.__stayed") is True  # no reload: the visitor's form is kept


def test_a_withdrawal_on_the_receipt_page_reaches_the_open_tab(gate_visit: Visit) -> None:
    consent_id = open_with_everything_running(gate_visit, REVERIFY)
    receipt = gate_visit.context.new_page()
    receipt.goto(f"{gate_visit.kelisim.base}/consent/{consent_id}")
    with receipt.expect_navigation():
        receipt.locator("form.withdraw button").click()
    assert gate_visit.kelisim.store.latest(consent_id).action == "withdraw"

    took = wait_until_cleaned(gate_visit, within=REVERIFY + 5)
    assert took <= REVERIFY + 3, took
    assert gate_visit.page.evaluate("kelisim.get().status") == "withdrawn"
    assert_loads_no_vendor_any_more(gate_visit)
    assert_no_csp_violation(gate_visit)


def test_a_block_by_staff_reaches_the_open_tab(gate_visit: Visit) -> None:
    from tests.support.admin import add_user, csrf_token, login, with_admin

    app = with_admin(gate_visit.kelisim.app)
    officer = f"officer{secrets.token_hex(4)}"
    add_user(app, officer, "editor")
    staff = app.test_client()
    login(staff, officer)
    consent_id = open_with_everything_running(gate_visit, REVERIFY)
    # The privacy officer blocks the consent in the admin's subject requests.
    form = {"csrf_token": csrf_token(staff, "/admin/requests"), "consent_id": consent_id}
    blocked = staff.post("/admin/requests/block", data={**form, "reason": "обращение №17"})
    assert blocked.status_code == 303

    took = wait_until_cleaned(gate_visit, within=REVERIFY + 5)
    assert took <= REVERIFY + 3, took
    assert gate_visit.page.evaluate("kelisim.get().decided") is False
    assert_loads_no_vendor_any_more(gate_visit)
    assert_no_csp_violation(gate_visit)


def test_a_withdrawal_in_another_tab_of_the_site_arrives_at_once(gate_visit: Visit) -> None:
    # No interval (data-reverify=0) and no focus change: only the tabs' channel can tell it.
    open_with_everything_running(gate_visit, 0)
    other = gate_visit.context.new_page()
    other.goto(gate_visit.site.url(gate_visit.kelisim.base, "/other", reverify=0))
    other.wait_for_function("() => window.kelisim && kelisim.ready")
    with other.expect_navigation():
        other.evaluate("kelisim.withdraw()")
    wait_until_cleaned(gate_visit, within=5)
    assert gate_visit.page.evaluate("kelisim.get().status") == "withdrawn"
    assert_loads_no_vendor_any_more(gate_visit)


# --- Consent Mode types come from the catalogue ---------------------------------------------------


@pytest.fixture(scope="module")
def kelisim_with_ads(browser_tmp, token_key: str) -> Iterator[Kelisim]:
    """The seed catalogue, but GA4 declared with Google's advertising features (ad_* types)."""
    from tests.support.banner_site import CATALOGUE, start_kelisim

    text = CATALOGUE.read_text(encoding="utf-8")
    declared = "    consent_mode: [analytics_storage]\n"
    ads = "    consent_mode: [analytics_storage, ad_storage, ad_user_data, ad_personalization]\n"
    assert text.count(declared) == 2  # GA4, then Firebase
    path = browser_tmp / "vendors-ads.yaml"
    path.write_text(text.replace(declared, ads, 1), encoding="utf-8")
    server = start_kelisim(f"sqlite:///{browser_tmp / 'ads.sqlite3'}", path, token_key)
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


def test_consent_mode_types_are_the_ones_the_granted_vendors_declare(
    gate_visit: Visit, kelisim_with_ads: Kelisim
) -> None:
    gate_visit.open(cmp=kelisim_with_ads.base)
    last = lambda: [a for kind, a in consent_commands(gate_visit) if kind == "update"][-1]  # noqa: E731
    gate_visit.page.evaluate("kelisim.set({firebase_analytics: true})")
    assert last() == {
        "ad_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
        "analytics_storage": "granted",
    }
    gate_visit.page.evaluate("kelisim.set({firebase_analytics: true, google_analytics: true})")
    assert set(last().values()) == {"granted"}


def test_cmp_js_without_its_gate_and_without_the_bootstrap_activates_nothing(
    gate_visit: Visit,
) -> None:
    url = gate_visit.site.url(gate_visit.kelisim.base, "/paths", boot="none", gate=0)
    gate_visit.page.goto(url)
    gate_visit.page.wait_for_load_state("load")
    gate_visit.settle(0.5)
    assert gate_visit.page.evaluate("typeof window.kelisim") == "undefined"
    assert any("kelisim: no gate" in e for e in gate_visit.console_errors)


def test_a_gate_older_than_cmp_js_still_gets_every_vendor_activated(visit: Visit, texts) -> None:
    """A site that inlined the bootstrap's text keeps that gate until it copies the new one, and a
    cached /bootstrap.js can be an hour older than /cmp.js: a gate that shares no set of elements
    it leaves alone (as gates did before it kept that set in its closure) still works with today's
    runtime, settings layer and activation included."""

    def older_gate(route: Any) -> None:
        response = route.fetch(headers={**route.request.headers, "accept-encoding": "identity"})
        gate, _, runtime = response.text().partition("\n")
        assert "kelisim.gate" in gate and "kelisim.gate" in runtime
        forget = "delete window[Symbol.for('kelisim.gate')].done;"
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("etag",)}
        headers.pop("content-length", None)
        route.fulfill(status=200, headers=headers, body=gate + "\n" + forget + "\n" + runtime)

    visit.page.route("**/cmp.js?*", older_gate)
    visit.open()
    assert visit.page.evaluate("'done' in window[Symbol.for('kelisim.gate')]") is False
    visit.page.get_by_role("button", name=texts["settings"]).click()
    visit.page.locator("#kelisim .k-p").wait_for()
    visit.page.get_by_role("button", name=texts["accept_all"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    visit.settle(0.5)
    assert "yandex_metrika" in visit.loaded() and "vk" in visit.loaded()
    assert visit.console_errors == []


def test_the_gate_and_cmp_hosts_attribute_urls_alike(gate_visit: Visit, catalogue) -> None:
    """src/kelisim/web/static/gate.js and src/kelisim/domain/hosts.py implement one rule; the
    scanner relies on the Python one."""
    from test_hosts import NEIGHBOURS, VARIANTS

    from kelisim.domain.hosts import HostMatcher

    matcher = HostMatcher(catalogue.vendors)
    gate_visit.open(path="/paths")
    urls = [url for url, _owners in VARIANTS] + list(NEIGHBOURS)
    in_browser = gate_visit.page.evaluate(
        "urls => urls.map(u => window[Symbol.for('kelisim.gate')].owners(u) || [])", urls
    )
    assert {u: tuple(o) for u, o in zip(urls, in_browser, strict=True)} == {
        u: matcher.vendors_for_url(u) for u in urls
    }


def test_without_the_bootstrap_cmp_js_still_holds_what_code_sends_after_it(
    gate_visit: Visit,
) -> None:
    """Async mode (cmp.js alone): the paths code takes once cmp.js runs are held the same way."""
    gate_visit.open(path="/paths", boot="none")
    gate_visit.page.evaluate(PATHS_JS)
    results = gate_visit.page.evaluate("window.__fire()")
    gate_visit.settle(0.5)
    assert results == {**dict.fromkeys(NETWORK_PATHS, "held"), "xhr": "failed"}
    # Markup written into the page before cmp.js ran is not the runtime's to hold (docs/gating.md).
    early = ("via=write", "p=write", "via=import", "via=static-import", "via=style")
    assert [u for u in gate_visit.vendor_requests() if not any(m in u for m in early)] == []
