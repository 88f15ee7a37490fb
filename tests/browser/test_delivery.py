"""How the runtime and its config reach the page: one request for the first layer (the config is
embedded in /cmp.js); the details (/api/v1/config) and the settings layer's code
(/cmp-settings.js) fetched once, when Settings opens and before deleting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.banner_site import Visit

pytestmark = pytest.mark.browser


def kelisim_requests(visit: Visit, path: str) -> list[dict[str, list[str]]]:
    """Query strings of the requests the browser sent to Kelisim's `path`."""
    found = []
    for url in list(visit.requests):
        parts = urlsplit(url)
        if url.startswith(visit.kelisim.base) and parts.path == path:
            found.append(parse_qs(parts.query))
    return found


def test_first_view_makes_one_request_for_runtime_and_config(visit: Visit, texts) -> None:
    visit.open()
    visit.page.get_by_role("button", name=texts["accept_all"], exact=True).wait_for()
    visit.settle(0.3)
    assert kelisim_requests(visit, "/cmp.js") == [{"site": ["default"], "lang": ["ru"]}]
    assert kelisim_requests(visit, "/api/v1/config") == []
    assert [u for u in visit.requests if u.startswith(visit.kelisim.base)] == [
        f"{visit.kelisim.base}/cmp.js?site=default&lang=ru"
    ]
    assert visit.page.evaluate("kelisim.get().language") == "ru"


def test_settings_fetches_the_details_once_and_shows_them(visit: Visit, texts) -> None:
    visit.open()
    box = visit.page.locator("#kelisim [role=dialog]")
    box.get_by_role("button", name=texts["settings"]).click()
    yandex = box.locator(".k-v", has=visit.page.locator("input[value=yandex_metrika]"))
    box.locator("button[aria-controls=k-analytics-n]").click()  # purposes start collapsed
    summary = yandex.inner_text()
    assert "Yandex LLC" in summary and "Россия" in summary and texts["data_leaves_kz"] in summary
    yandex.locator("summary").click()
    details = yandex.locator("details").inner_text()
    assert "_ym_uid (1 год)" in details and "_ym_uid (local)" in details
    fetched = kelisim_requests(visit, "/api/v1/config")
    assert fetched == [{"site": ["default"], "lang": ["ru"]}]  # the full config, no detail=banner
    assert len(kelisim_requests(visit, "/cmp-settings.js")) == 1
    # Back and forth needs nothing more.
    visit.page.keyboard.press("Escape")
    visit.page.evaluate("kelisim.show(true)")
    box.locator(".k-p").wait_for()
    assert len(kelisim_requests(visit, "/api/v1/config")) == 1
    assert len(kelisim_requests(visit, "/cmp-settings.js")) == 1


def settings_version(visit: Visit) -> str:
    from urllib.request import urlopen

    with urlopen(f"{visit.kelisim.base}/cmp-settings.js", timeout=30) as response:
        return response.headers["ETag"].strip('"')


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_settings_layer_loads_once_on_settings_with_the_pages_nonce(
    visit: Visit, catalogue, lang: str
) -> None:
    texts = catalogue.texts[lang]
    # A nonce-only script-src: a script cmp.js creates runs only if it carries the nonce.
    visit.open(lang=lang, csp="nonce")
    page = visit.page
    box = page.locator("#kelisim [role=dialog]")
    settings = box.get_by_role("button", name=texts["settings"], exact=True)
    settings.wait_for()
    visit.settle(0.3)
    assert kelisim_requests(visit, "/cmp-settings.js") == []  # the first layer needs none
    assert box.locator(".k-p").count() == 0

    settings.focus()
    page.keyboard.press("Enter")
    box.locator(".k-p").wait_for()
    assert kelisim_requests(visit, "/cmp-settings.js") == [{"v": [settings_version(visit)]}]
    assert page.evaluate("() => document.querySelector('#kelisim [role=dialog]').lang") == lang
    assert box.locator("h2").inner_text() == texts["title"]
    # Focus is in the dialog; Tab reaches the settings layer's toggles.
    inside = "() => !!document.activeElement.closest('#kelisim [role=dialog]')"
    in_settings = "() => !!document.activeElement.closest('#kelisim .k-p')"
    assert page.evaluate(inside)
    for _ in range(12):
        if page.evaluate(in_settings):
            break
        page.keyboard.press("Tab")
    assert page.evaluate(in_settings)

    # It works: one vendor picked and saved (one whose tag is a plain external script: a vendor's
    # own script-inserting snippet would need 'strict-dynamic').
    box.locator("button[aria-controls=k-marketing-n]").click()
    box.locator("input[value=flocktory]").check()
    box.locator("[data-kelisim-action=save]").click()
    page.wait_for_function("() => kelisim.get().status == 'given'")
    assert page.evaluate("kelisim.get().granted") == ["flocktory"]
    assert visit.reached("api.flocktory.com", "/v2/loader.js")
    page.evaluate("kelisim.show(true)")
    box.locator(".k-p").wait_for()
    assert box.locator("input[value=flocktory]").is_checked()
    assert len(kelisim_requests(visit, "/cmp-settings.js")) == 1
    assert visit.csp_violations() == [] and visit.site.csp_reports == []

    # Negative control: the same script without the nonce is refused by this page's CSP.
    page.evaluate(
        """(u) => new Promise(r => { let s = document.createElement('script');
            s.onload = s.onerror = r; s.src = u; document.head.append(s) })""",
        f"{visit.kelisim.base}/cmp-settings.js?control",
    )
    assert [v for v in visit.csp_violations() if v.startswith("script-src")]


def test_a_page_in_another_language_fetches_the_lean_config_of_its_own(
    visit: Visit, catalogue
) -> None:
    # The script URL says ru (a site that forgot to change it), the page is in Kazakh.
    visit.page.route(
        f"{visit.kelisim.base}/cmp.js?site=default&lang=kk",
        lambda route: route.continue_(url=f"{visit.kelisim.base}/cmp.js?site=default&lang=ru"),
    )
    visit.open(lang="kk")
    box = visit.page.locator("#kelisim [role=dialog]")
    assert box.locator("h2").inner_text() == catalogue.texts["kk"]["title"]
    assert kelisim_requests(visit, "/api/v1/config") == [
        {"site": ["default"], "lang": ["kk"], "detail": ["banner"]}
    ]


def test_withdraw_fetches_the_details_then_deletes_what_was_declared(visit: Visit) -> None:
    visit.open()
    visit.page.evaluate("kelisim.set({yandex_metrika: true, microsoft_clarity: true})")
    visit.settle(0.5)
    assert kelisim_requests(visit, "/api/v1/config") == []  # nothing to delete yet
    before = visit.artefacts()
    assert {"_ym_uid", "_ym_d", "_clck", "_clsk"} <= before["cookies"]
    assert "_ym_uid" in before["local"] and "_cltk" in before["session"]

    with visit.page.expect_navigation():
        visit.page.evaluate("kelisim.withdraw().then(s => s.status)")
    assert {"site": ["default"], "lang": ["ru"]} in kelisim_requests(visit, "/api/v1/config")
    visit.ready()
    visit.settle(0.5)
    assert visit.artefacts() == {"cookies": set(), "local": set(), "session": set(), "idb": set()}
    assert visit.page.evaluate("kelisim.get().status") == "withdrawn"
