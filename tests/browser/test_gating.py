"""What reaches a vendor, and when: cmp.js in real Chromium against the real app and a site carrying
all 14 vendors' snippets under a strict CSP."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.banner_site import Visit, new_visit
from tests.support.contract import VENDOR_IDS

pytestmark = pytest.mark.browser

ALL = set(VENDOR_IDS)
# myTarget is only a pixel on the page: it runs no code of its own, so it is seen by its request.
SCRIPTED = ALL - {"mytarget"}


def assert_nothing_of_vendors(visit: Visit) -> None:
    assert visit.vendor_requests() == []
    assert visit.site.log.hits == []
    assert visit.loaded() == set()
    assert visit.artefacts() == {"cookies": set(), "local": set(), "session": set(), "idb": set()}


def assert_no_csp_violation(visit: Visit) -> None:
    assert visit.csp_violations() == []
    assert visit.site.csp_reports == []
    assert not [e for e in visit.console_errors if "Content Security Policy" in e]


def test_nothing_loads_before_a_choice(visit: Visit) -> None:
    visit.open()
    visit.settle(0.5)
    assert visit.banner_visible()
    assert_nothing_of_vendors(visit)
    inert = visit.page.locator("script[type='text/plain'][data-vendor]").count()
    assert inert == 15
    held = visit.page.locator("img[data-vendor][data-src], iframe[data-vendor][data-src]")
    assert held.count() == 2
    assert visit.page.evaluate("kelisim.get()")["decided"] is False
    assert_no_csp_violation(visit)


def test_reject_all_loads_no_vendor_now_or_on_the_next_page(visit: Visit, texts) -> None:
    visit.open()
    visit.page.get_by_role("button", name=texts["reject_all"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    visit.settle(0.5)
    assert_nothing_of_vendors(visit)
    state = visit.page.evaluate("kelisim.get()")
    assert state["status"] == "refused" and state["granted"] == []
    assert visit.kelisim.store.latest(state["consent_id"]).action == "reject_all"

    visit.open(path="/other")
    visit.settle(0.5)
    assert not visit.banner_visible()
    assert_nothing_of_vendors(visit)
    assert_no_csp_violation(visit)


def test_accept_all_loads_every_vendor(visit: Visit, texts) -> None:
    visit.open()
    visit.page.get_by_role("button", name=texts["accept_all"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    visit.settle(0.5)
    assert visit.loaded() == SCRIPTED
    reached = visit.site.log.hosts()
    for host in ("www.googletagmanager.com", "mc.yandex.ru", "websdk.appsflyer.com", "vk.com"):
        assert host in reached
    for host in ("top-fwz1.mail.ru", "cdn.amplitude.com", "www.clarity.ms", "score.jcsc.online"):
        assert host in reached
    assert "api.flocktory.com" in reached and "site" in reached  # self-hosted Matomo
    # The inert pixel and iframe were given their src.
    assert visit.site.log.any("top-fwz1.mail.ru", "trg-pixel")
    assert visit.site.log.any("api.flocktory.com", "/v2/provider/provider.html")
    # Vendors' own consent switches were told.
    assert visit.page.evaluate("window.__ampOptOut") is False
    clarity = visit.page.evaluate("window.__clarity")
    assert ["consentv2", {"ad_Storage": "denied", "analytics_Storage": "granted"}] in clarity
    assert_no_csp_violation(visit)

    # The next page view applies the stored choice without asking, and without another request.
    visit.requests.clear()
    visit.open(path="/other")
    visit.settle(0.5)
    assert not visit.banner_visible()
    assert visit.loaded() == SCRIPTED
    assert not [url for url in visit.requests if "/api/v1/consent" in url]


def test_set_one_vendor_loads_exactly_that_one(visit: Visit) -> None:
    visit.open()
    state = visit.page.evaluate("kelisim.set({yandex_metrika: true})")
    visit.settle(0.5)
    assert state["granted"] == ["yandex_metrika"]
    assert visit.loaded() == {"yandex_metrika"}
    hosts = {url.split("/")[2] for url in visit.vendor_requests()}
    assert hosts == {"mc.yandex.ru"}
    assert visit.artefacts()["cookies"] == {"_ym_uid", "_ym_d"}
    assert not visit.banner_visible()
    assert_no_csp_violation(visit)


def test_withdraw_deletes_what_vendors_stored_and_stops_them(visit: Visit) -> None:
    visit.open()
    visit.page.evaluate("kelisim.acceptAll()")
    visit.settle(0.5)
    before = visit.artefacts()
    assert {"_ym_uid", "_ga", "_clck", "afUserId", "tmr_lvid"} <= before["cookies"]
    assert {"flocktory-uuid", "_pk_id.1.f00d", "AMP_4b656c6973"} <= before["cookies"]
    assert {"_ym_uid", "AMP_unsent_4b656c6973"} <= before["local"]
    assert before["session"] == {"_cltk"} and before["idb"] == {"firebase-installations-database"}

    with visit.page.expect_navigation():
        consent_id = visit.page.evaluate("kelisim.withdraw().then(s => s.consent_id)")
    assert visit.kelisim.store.latest(consent_id).action == "withdraw"
    visit.ready()
    visit.site.log.clear()
    visit.requests.clear()
    visit.settle(0.5)
    assert visit.page.evaluate(
        """async () => {
            for (let i = 0; i < 50; i++) {
                if (!(await indexedDB.databases()).length) return true;
                await new Promise(r => setTimeout(r, 100));
            }
        }"""
    )
    assert visit.artefacts() == {"cookies": set(), "local": set(), "session": set(), "idb": set()}
    assert visit.loaded() == set() and visit.vendor_requests() == []
    assert visit.page.evaluate("kelisim.get().status") == "withdrawn"
    assert_no_csp_violation(visit)


def test_tags_added_later_wait_for_their_vendor(visit: Visit) -> None:
    visit.open(late=150)
    visit.page.wait_for_function("() => window.__late === true")
    visit.settle(0.5)
    assert visit.vendor_requests() == []
    assert visit.page.locator("script[type='javascript/blocked']").count() == 2

    visit.page.evaluate("kelisim.set({yandex_metrika: true})")
    assert visit.reached("mc.yandex.ru", "late=1")
    visit.settle(0.5)
    assert not visit.vendor_requests_to("top-fwz1.mail.ru", "vk.com", "api.flocktory.com")

    visit.page.evaluate("kelisim.set({mail_ru: true, vk: true, flocktory: true})")
    assert visit.reached("top-fwz1.mail.ru", "late=2")
    assert visit.reached("vk.com", "p=late")
    assert visit.reached("api.flocktory.com", "provider.html?late=1")
    visit.settle(0.5)
    assert visit.loaded() >= {"yandex_metrika", "mail_ru", "vk", "flocktory"}
    assert_no_csp_violation(visit)


def test_a_tag_manager_cannot_load_a_vendor_without_its_own_consent(visit: Visit) -> None:
    visit.open()
    visit.page.evaluate("kelisim.set({google_tag_manager: true})")
    visit.settle(0.5)
    assert visit.site.log.any("www.googletagmanager.com", "/gtm.js")
    assert not visit.vendor_requests_to("mc.yandex.ru")
    assert visit.loaded() == {"google_tag_manager"}

    visit.page.evaluate("kelisim.set({yandex_metrika: true})")
    visit.settle(0.5)
    assert visit.site.log.any("mc.yandex.ru", "via=gtm")


def test_consent_mode_and_events_follow_the_choice(visit: Visit) -> None:
    visit.open()
    visit.page.evaluate(
        """() => {
            window.__events = []; window.__listened = [];
            document.addEventListener('kelisim:consent', e => __events.push(e.detail));
            kelisim.on('consent', s => __listened.push(s));
        }"""
    )
    assert visit.page.evaluate("_paq.map(a => a[0])") == ["requireConsent"]
    visit.page.evaluate("kelisim.acceptAll()")
    visit.page.wait_for_function("() => dataLayer.some(e => e.event == 'gtm.js')")
    layer = visit.page.evaluate(
        """dataLayer.map(e => Object.prototype.toString.call(e) == '[object Arguments]'
            ? ['gtag', ...Array.from(e)] : e)"""
    )
    kinds = [
        f"{e[1]}:{e[2]}" if isinstance(e, list) and e[0] == "gtag" else e.get("event")
        for e in layer
    ]
    default, update = kinds.index("consent:default"), kinds.index("consent:update")
    assert default == 0
    assert default < update < kinds.index("kelisim_consent") < kinds.index("gtm.js")
    assert layer[default][3] == {
        "ad_storage": "denied",
        "analytics_storage": "denied",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
        "wait_for_update": 500,
    }
    # Google's vendors here are analytics only: analytics storage opens, advertising stays closed.
    assert layer[update][3] == {
        "ad_storage": "denied",
        "analytics_storage": "granted",
        "ad_user_data": "denied",
        "ad_personalization": "denied",
    }
    pushed = layer[kinds.index("kelisim_consent")]["kelisim"]
    assert pushed["status"] == "given" and set(pushed["granted"]) == ALL
    assert "consent_id" not in pushed  # the dataLayer goes to Google; the id stays first-party
    events, listened = visit.page.evaluate("[__events, __listened]")
    assert len(events) == 1 and len(listened) == 1
    assert set(events[0]["granted"]) == ALL and events[0]["consent_id"]


def test_consent_methods_settle_after_the_server_stored_the_choice(visit: Visit) -> None:
    visit.open()
    store = visit.kelisim.store
    for call, action in [
        ("kelisim.rejectAll()", "reject_all"),
        ("kelisim.set({vk: true})", "custom"),
        ("kelisim.acceptAll()", "accept_all"),
    ]:
        state = visit.page.evaluate(f"{call}.then(s => s)")
        latest = store.latest(state["consent_id"])
        assert latest is not None and latest.action == action
        assert sorted(k for k, v in latest.grants.items() if v) == sorted(state["granted"])
    with visit.page.expect_navigation():
        state = visit.page.evaluate("kelisim.withdraw()")
    assert store.latest(state["consent_id"]).action == "withdraw"
    # One consent id carries the whole history.
    assert [e.action for e in store.history(state["consent_id"])] == [
        "reject_all",
        "custom",
        "accept_all",
        "withdraw",
    ]


def _token(visit: Visit) -> str:
    return next(c["value"] for c in visit.context.cookies() if c["name"] == "kelisim_consent")


def test_a_tampered_truncated_or_foreign_cookie_is_no_consent(
    gated_browser, site, kelisim, vendor_hosts
) -> None:
    first = new_visit(gated_browser, site, kelisim, vendor_hosts)
    first.open()
    first.page.evaluate("kelisim.rejectAll()")
    token = _token(first)
    first.context.close()

    payload, rest = token.split(".", 1)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["g"] = list(VENDOR_IDS)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    for value in (f"{forged}.{rest}", token[: len(token) // 2], "not-a-token", token[:-3] + "abc"):
        site.log.clear()
        visit = new_visit(gated_browser, site, kelisim, vendor_hosts)
        visit.context.add_cookies([{"name": "kelisim_consent", "value": value, "url": site.base}])
        visit.open()
        visit.settle(0.5)
        assert visit.banner_visible(), value
        assert visit.vendor_requests() == [] and visit.loaded() == set()
        assert visit.page.evaluate("kelisim.get().decided") is False
        assert "kelisim_consent" not in {c["name"] for c in visit.context.cookies()}
        visit.context.close()


def test_a_new_revision_asks_again(visit: Visit, kelisim_next_revision, texts) -> None:
    visit.open()
    first = visit.page.evaluate("kelisim.acceptAll()")
    assert first["revision"] == 1
    visit.settle(0.5)

    visit.site.log.clear()
    visit.requests.clear()
    visit.open(cmp=kelisim_next_revision.base, path="/other")
    visit.settle(0.5)
    assert visit.banner_visible()
    assert visit.vendor_requests() == [] and visit.loaded() == set()
    assert visit.page.evaluate("kelisim.get()")["decided"] is False

    visit.page.get_by_role("button", name=texts["accept_all"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    second = visit.page.evaluate("kelisim.get()")
    assert second["revision"] == 2 and second["consent_id"] == first["consent_id"]
    revisions = [e.revision for e in kelisim_next_revision.store.history(first["consent_id"])]
    assert revisions == [1, 2]


def test_global_privacy_control_preselects_refusal_of_marketing_and_is_recorded(
    gated_browser, site, kelisim, vendor_hosts, texts, catalogue
) -> None:
    site.log.clear()
    visit = new_visit(gated_browser, site, kelisim, vendor_hosts)
    visit.context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    visit.open()
    state = visit.page.evaluate("kelisim.acceptAll()")
    assert state["gpc"] is True
    assert visit.kelisim.store.latest(state["consent_id"]).gpc is True

    visit.page.evaluate("kelisim.show()")
    dialog = visit.page.locator("#kelisim [role=dialog]")
    dialog.get_by_text(texts["gpc_notice"]).wait_for()
    for vendor in catalogue.vendors:
        box = dialog.locator(f"input[value='{vendor.id}']")
        assert box.is_checked() is ("marketing" not in vendor.purposes), vendor.id
    # Marketing was running: turning it off reloads the page so its scripts stop.
    with visit.page.expect_navigation():
        dialog.get_by_role("button", name=texts["save"]).click()
    granted = set(visit.ready()["granted"])
    assert granted == {v.id for v in catalogue.vendors if "marketing" not in v.purposes}
    visit.context.close()


def test_a_choice_lost_on_the_network_is_retried_with_the_same_event_id(visit: Visit) -> None:
    sent: list[dict] = []

    def flaky(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(json.loads(route.request.post_data))
        if len(sent) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    visit.page.route(f"{visit.kelisim.base}/api/v1/consent", flaky)
    visit.open()
    state = visit.page.evaluate("kelisim.acceptAll()")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert 8 <= len(sent[0]["event_id"]) <= 64
    history = visit.kelisim.store.history(state["consent_id"])
    assert [(e.event_id, e.action) for e in history] == [(sent[0]["event_id"], "accept_all")]
