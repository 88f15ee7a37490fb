"""The banner as a visitor meets it: two layers, languages, keyboard, small screens, contrast."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.banner_site import Visit, new_visit

pytestmark = pytest.mark.browser

CONSENT_POST = re.compile(r".*/api/v1/consent$")


def dialog(visit: Visit):
    return visit.page.locator("#kelisim [role=dialog]")


def focus_in_dialog(visit: Visit) -> bool:
    return visit.page.evaluate("!!document.activeElement.closest('#kelisim [role=dialog]')")


def open_settings(visit: Visit, texts) -> None:
    """Click Settings and wait for the second layer (its details arrive with the full config)."""
    dialog(visit).get_by_role("button", name=texts["settings"]).click()
    dialog(visit).locator(".k-p").wait_for()


def expand(visit: Visit, vendor: str) -> None:
    """Open the (collapsed) purpose that lists `vendor`, by its disclosure button."""
    section = dialog(visit).locator(".k-s", has=visit.page.locator(f"input[value={vendor}]"))
    toggle = section.locator("button[aria-expanded]")
    if toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"


def expand_all(visit: Visit) -> None:
    toggles = dialog(visit).locator("button[aria-expanded=false]")
    while toggles.count():
        toggles.first.click()


def tab_to(visit: Visit, predicate: str, limit: int = 150) -> None:
    """Press Tab until `predicate(document.activeElement)` holds, as a keyboard user would."""
    for _ in range(limit):
        visit.page.keyboard.press("Tab")
        if visit.page.evaluate(f"(e => {predicate})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {predicate}")


def test_first_layer_offers_accept_reject_and_settings_with_equal_weight(visit: Visit, texts):
    visit.open()
    box = dialog(visit)
    assert box.get_attribute("aria-modal") == "true"
    title = visit.page.locator("#" + box.get_attribute("aria-labelledby"))
    assert title.inner_text() == texts["title"]
    description = visit.page.locator("#" + box.get_attribute("aria-describedby"))
    assert texts["description"] in description.inner_text()
    assert focus_in_dialog(visit)
    styles = []
    for name in ("accept_all", "reject_all", "settings"):
        button = box.get_by_role("button", name=texts[name], exact=True)
        size = button.bounding_box()
        look = button.evaluate(
            """b => { const s = getComputedStyle(b);
                return [s.fontSize, s.fontWeight, s.color, s.backgroundColor, s.borderColor]; }"""
        )
        styles.append((round(size["width"]), round(size["height"]), *look))
    assert styles[0] == styles[1] == styles[2]
    # Nothing but the necessary purpose is ticked in the second layer.
    open_settings(visit, texts)
    boxes = box.locator("input[type=checkbox]")
    ticked = [i for i in range(boxes.count()) if boxes.nth(i).is_checked()]
    assert len(ticked) == 1 and boxes.nth(ticked[0]).is_disabled()
    assert texts["always_on"] in box.locator("label").nth(ticked[0]).inner_text()


def test_second_layer_shows_what_each_vendor_stores_and_where_data_goes(visit: Visit, texts):
    visit.open()
    box = dialog(visit)
    open_settings(visit, texts)
    # Purposes start collapsed: only their toggles and disclosure buttons show.
    assert not box.locator("input[value=yandex_metrika]").is_visible()
    expand_all(visit)
    yandex = box.locator(".k-v", has=visit.page.locator("input[value=yandex_metrika]"))
    summary = yandex.inner_text()
    assert "Yandex LLC" in summary and "Россия" in summary
    assert texts["data_leaves_kz"] in summary
    matomo = box.locator(".k-v", has=visit.page.locator("input[value=matomo]"))
    assert texts["data_stays_kz"] in matomo.inner_text()
    yandex.locator("summary").click()
    details = yandex.locator("details").inner_text()
    assert "_ym_uid (1 год)" in details and "_ym_visorc* (30 минут)" in details
    assert "_ym_uid (local)" in details
    assert yandex.get_by_role("link", name=texts["vendor_policy_link"]).get_attribute("href") == (
        "https://yandex.com/legal/confidential/"
    )
    # A purpose switch sets all of its vendors.
    marketing = box.locator(".k-s").filter(has_text="VK").locator("label").first
    marketing.locator("input").check()
    for vendor in ("appsflyer", "vk", "mail_ru", "mytarget", "flocktory"):
        assert box.locator(f"input[value={vendor}]").is_checked()
    assert not box.locator("input[value=yandex_metrika]").is_checked()


def test_keyboard_alone_can_choose_and_escape_is_not_consent(visit: Visit, texts):
    visit.open()
    assert focus_in_dialog(visit)
    for _ in range(12):
        visit.page.keyboard.press("Tab")
        assert focus_in_dialog(visit)
    for _ in range(12):
        visit.page.keyboard.press("Shift+Tab")
        assert focus_in_dialog(visit)

    with visit.page.expect_response(CONSENT_POST) as answer:
        visit.page.keyboard.press("Escape")
    dismissed = answer.value.json()
    assert dismissed["status"] == "deferred" and dismissed["granted"] == []
    assert visit.kelisim.store.latest(dismissed["consent_id"]).action == "dismiss"
    assert not visit.banner_visible()
    assert "kelisim_consent" not in {c["name"] for c in visit.context.cookies()}
    visit.settle(0.3)
    assert visit.vendor_requests() == []

    # Dismissed for this page view only.
    visit.open(path="/other")
    assert visit.banner_visible() and focus_in_dialog(visit)
    tab_to(visit, f"e.textContent == {json.dumps(texts['settings'])}")
    visit.page.keyboard.press("Enter")
    assert focus_in_dialog(visit)
    tab_to(visit, "e.getAttribute('aria-controls') == 'k-analytics-n'")
    visit.page.keyboard.press("Enter")
    tab_to(visit, "e.value == 'yandex_metrika'")
    visit.page.keyboard.press("Space")
    tab_to(visit, f"e.textContent == {json.dumps(texts['save'])}")
    visit.page.keyboard.press("Enter")
    visit.page.wait_for_selector("#kelisim", state="detached")
    state = visit.page.evaluate("kelisim.get()")
    assert state["granted"] == ["yandex_metrika"]
    assert visit.kelisim.store.latest(state["consent_id"]).action == "custom"

    # The floating button reopens the choice; Escape closes it without a new record and gives
    # focus back.
    fab = visit.page.locator("#kelisim-f")
    assert fab.inner_text() == texts["change_settings"]
    fab.focus()
    visit.page.keyboard.press("Enter")
    assert focus_in_dialog(visit)
    expand(visit, "yandex_metrika")
    assert dialog(visit).locator("input[value=yandex_metrika]").is_checked()
    visit.page.keyboard.press("Escape")
    assert not visit.banner_visible()
    assert visit.page.evaluate("document.activeElement.id") == "kelisim-f"
    assert len(visit.kelisim.store.history(state["consent_id"])) == 1


def test_language_follows_the_page_then_the_browser_and_the_switcher(
    gated_browser, site, kelisim, vendor_hosts, catalogue
):
    kk, en = catalogue.texts["kk"], catalogue.texts["en"]
    visit = new_visit(gated_browser, site, kelisim, vendor_hosts)
    visit.open(lang="kk")
    assert dialog(visit).locator("h2").inner_text() == kk["title"]
    assert dialog(visit).get_attribute("lang") == "kk"

    switcher = dialog(visit).get_by_role("combobox", name=kk["language"])
    switcher.select_option("en")
    dialog(visit).locator("h2", has_text=en["title"]).wait_for()
    assert visit.page.evaluate("document.activeElement.tagName") == "SELECT"
    visit.open(lang="kk", path="/other")  # the visitor's pick outlives the page
    assert dialog(visit).locator("h2").inner_text() == en["title"]
    state = visit.page.evaluate("kelisim.rejectAll()")
    assert visit.kelisim.store.latest(state["consent_id"]).language == "en"
    visit.context.close()

    visit = new_visit(gated_browser, site, kelisim, vendor_hosts, locale="en-US")
    visit.open(lang="")
    assert dialog(visit).locator("h2").inner_text() == en["title"]
    visit.context.close()


@pytest.mark.parametrize("viewport", [(320, 568), (640, 360)], ids=["320px", "200%-zoom"])
def test_usable_on_a_narrow_screen_and_at_200_percent_zoom(
    gated_browser, site, kelisim, vendor_hosts, texts, viewport
):
    width, height = viewport
    visit = new_visit(
        gated_browser, site, kelisim, vendor_hosts, viewport={"width": width, "height": height}
    )
    visit.open()
    assert visit.page.evaluate("document.documentElement.scrollWidth") <= width
    for name in ("accept_all", "reject_all", "settings"):
        button = dialog(visit).get_by_role("button", name=texts[name], exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] >= 44  # a comfortable touch target
    open_settings(visit, texts)
    assert dialog(visit).bounding_box()["height"] <= height
    expand(visit, "vk")
    dialog(visit).locator("input[value=vk]").check()
    dialog(visit).get_by_role("button", name=texts["save"]).click()
    visit.page.wait_for_selector("#kelisim", state="detached")
    assert visit.page.evaluate("kelisim.get().granted") == ["vk"]
    visit.context.close()


def _luminance(rgb: str) -> float:
    channels = [int(x) / 255 for x in re.findall(r"[\d.]+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_banner_shifts_nothing_on_the_page_and_its_text_has_enough_contrast(visit: Visit, texts):
    visit.context.add_init_script(
        # As browsers count it, a shift within 500 ms of the visitor's own input is not one; a
        # loaded test machine may render the change a click causes later than that, so a shift
        # within 2 s of a click counts as the click's too.
        """window.__shift = 0; window.__input = -1e9;
        addEventListener('pointerdown', () => { window.__input = performance.now(); }, true);
        addEventListener('keydown', () => { window.__input = performance.now(); }, true);
        new PerformanceObserver(l => {
            for (const e of l.getEntries())
                if (!e.hadRecentInput && e.startTime - window.__input > 2000)
                    window.__shift += e.value;
        })
            .observe({type: 'layout-shift', buffered: true});"""
    )
    visit.page.goto(visit.site.url(visit.kelisim.base))
    h1_top = visit.page.locator("h1").bounding_box()["y"]
    visit.ready()
    visit.page.locator("#kelisim .k-d").evaluate("d => d.getAnimations().forEach(a => a.finish())")
    assert visit.page.evaluate("window.__shift") == 0  # the banner's appearance shifts nothing
    open_settings(visit, texts)
    expand_all(visit)
    pairs = visit.page.evaluate(
        """() => {
            const bg = e => { for (; e; e = e.parentElement) {
                const c = getComputedStyle(e).backgroundColor;
                if (c !== 'rgba(0, 0, 0, 0)') return c; } return 'rgb(255, 255, 255)'; };
            const sel = '#kelisim h2, #kelisim p, #kelisim button, #kelisim a, #kelisim summary, '
                + '#kelisim label span, #kelisim select';
            return [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length)
                .map(e => [e.tagName + '.' + e.className, getComputedStyle(e).color, bg(e)]);
        }"""
    )
    assert len(pairs) > 20
    for name, color, background in pairs:
        assert _contrast(color, background) >= 4.5, (name, color, background, pairs)
    visit.page.evaluate("kelisim.rejectAll()")
    fab = visit.page.locator("#kelisim-f")
    color, background = fab.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert _contrast(color, background) >= 4.5
    # Nor does anything after it: the second layer opening follows the visitor's own click.
    assert visit.page.evaluate("window.__shift") == 0
    assert visit.page.locator("h1").bounding_box()["y"] == h1_top


def test_the_floating_button_can_be_turned_off(visit: Visit, texts):
    visit.open(fab="false")
    visit.page.evaluate("kelisim.rejectAll()")
    assert visit.page.locator("#kelisim-f").count() == 0
    visit.page.evaluate("kelisim.show()")
    dialog(visit).get_by_role("button", name=texts["save"]).wait_for()


def test_vendor_texts_are_shown_as_text_never_as_markup(visit: Visit, texts):
    hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>'

    def tamper(route):
        body = route.fetch().json()
        body["texts"]["title"] = hostile
        body["vendors"][0]["name"] = hostile
        body["vendors"][0]["description"] = hostile
        body["vendors"][0]["privacy_policy_url"] = "javascript:window.__pwned=1"
        route.fulfill(json=body, headers={"Access-Control-Allow-Origin": "*"})

    visit.page.route(f"{visit.kelisim.base}/api/v1/config**", tamper)
    visit.open()
    open_settings(visit, texts)  # the full config (tampered here) replaces the embedded one
    expand_all(visit)
    assert dialog(visit).locator("h2").inner_text() == hostile
    dialog(visit).locator("summary").first.click()
    assert dialog(visit).locator("img, b").count() == 0
    assert dialog(visit).get_by_text(hostile).count() == 3
    assert dialog(visit).locator("a[href^=javascript]").count() == 0
    assert visit.page.evaluate("window.__pwned") is None


@pytest.mark.parametrize(
    ("lang", "russia", "usa", "year", "two_days"),
    [("kk", "Ресей", "АҚШ", "1 жыл", "2 күн"), ("ru", "Россия", "США", "1 год", "2 дня")],
)
def test_second_layer_names_countries_and_lifetimes_in_the_visitors_language(
    gated_browser, site, kelisim, vendor_hosts, catalogue, lang, russia, usa, year, two_days
):
    texts = catalogue.texts[lang]
    visit = new_visit(gated_browser, site, kelisim, vendor_hosts, locale=f"{lang}-KZ")
    try:
        visit.open(lang=lang)
        box = dialog(visit)
        open_settings(visit, texts)
        expand_all(visit)
        yandex = box.locator(".k-v", has=visit.page.locator("input[value=yandex_metrika]"))
        assert russia in yandex.inner_text()
        google = box.locator(".k-v", has=visit.page.locator("input[value=google_analytics]"))
        assert usa in google.inner_text()
        yandex.locator("summary").click()
        details = yandex.locator("details").inner_text()
        assert f"_ym_uid ({year})" in details and f"({two_days})" in details
        every = box.inner_text()
        assert not re.search(r"\(\d+ [ydh]\)", every)  # never `1 y` / `2 d`
        assert not re.search(r"· (US|RU|IL) ·", every)  # never a bare country code
    finally:
        visit.context.close()


def test_second_layer_and_floating_button_lead_to_the_visitors_receipt(visit: Visit, texts):
    visit.open()
    open_settings(visit, texts)
    assert dialog(visit).get_by_role("link", name=texts["receipt_title"]).count() == 0  # no id yet
    state = visit.page.evaluate("kelisim.rejectAll()")
    visit.page.locator("#kelisim-f").click()  # the floating button reopens the choices
    dialog(visit).locator(".k-p").wait_for()
    receipt = dialog(visit).get_by_role("link", name=texts["receipt_title"])
    href = receipt.get_attribute("href")
    assert f"/consent/{state['consent_id']}" in href
    page = visit.context.new_page()
    page.goto(href)
    assert state["consent_id"] in page.inner_text("body")  # the receipt of this very choice
    page.close()
