"""The banner on phone, tablet and desktop screens, portrait and landscape, in every language: the
three first-layer choices are on screen without scrolling, and in the settings layer the title,
the close button and Save stay on screen wherever the visitor has scrolled to."""

from __future__ import annotations

import pytest

from tests.support.banner_site import Visit, new_visit

pytestmark = pytest.mark.browser

VIEWPORTS = [(320, 480), (320, 568), (360, 640), (568, 320), (768, 1024), (1280, 800)]
LANGUAGES = ["ru", "kk", "en"]


def on_screen(visit: Visit, selector: str, width: int, height: int) -> None:
    """`selector` is wholly inside the viewport and nothing covers its middle (a real tap lands)."""
    element = visit.page.locator(selector)
    box = element.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= width + 0.5, (selector, box, width)
    assert box["y"] + box["height"] <= height + 0.5, (selector, box, height)
    hit = element.evaluate(
        """e => { const r = e.getBoundingClientRect();
            const at = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !!at && (at === e || e.contains(at)); }"""
    )
    assert hit, f"{selector} is covered"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_choices_stay_on_screen(
    gated_browser, site, kelisim, vendor_hosts, catalogue, viewport, language
) -> None:
    width, height = viewport
    texts = catalogue.texts[language]
    visit = new_visit(
        gated_browser, site, kelisim, vendor_hosts, viewport={"width": width, "height": height}
    )
    try:
        visit.open(lang=language)
        box = visit.page.locator("#kelisim [role=dialog]")
        box.wait_for()
        assert box.get_attribute("lang") == language
        # On open, before any scrolling, all three choices can be tapped.
        for action in ("accept-all", "reject-all", "settings"):
            on_screen(visit, f"#kelisim [data-kelisim-action={action}]", width, height)
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= width

        visit.page.locator("#kelisim [data-kelisim-action=settings]").click()
        box.locator(".k-p").wait_for()
        # The longest the layer gets: every purpose opened.
        toggles = box.locator("button[aria-expanded=false]")
        assert toggles.count() >= 3, "purposes start collapsed"
        while toggles.count():
            toggles.first.click()
        body = box.locator(".k-y")
        scroll_height, client_height = body.evaluate("b => [b.scrollHeight, b.clientHeight]")
        assert scroll_height > client_height, "opened purposes make the body scroll"
        pinned = ["#k-t", "#kelisim [data-kelisim-action=close]"]
        pinned.append("#kelisim [data-kelisim-action=save]")
        steps = 6
        for step in range(steps + 1):
            body.evaluate(
                "(b, f) => { b.style.scrollBehavior = 'auto'; b.scrollTop = f * b.scrollHeight; }",
                step / steps,
            )
            for selector in pinned:
                on_screen(visit, selector, width, height)
        assert visit.page.locator("#k-t").inner_text() == texts["title"]
        # The hooks name what they do, whatever the language.
        save = visit.page.locator("#kelisim [data-kelisim-action=save]")
        assert save.inner_text() == texts["save"]
    finally:
        visit.context.close()
