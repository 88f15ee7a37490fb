"""The banner's appearance in real Chromium: a catalogue's position and scheme (auto follows the
visitor's dark preference, with axe-core finding no violation in dark), forced colours (Windows
high contrast) giving the dialog a visible edge, and reduced motion stopping the fade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.banner_site import CATALOGUE, Kelisim, new_visit, start_kelisim
from tests.support.npm_tools import package_dir

pytestmark = pytest.mark.browser

LOOK = """appearance:
  position: modal
  theme: auto
"""


@pytest.fixture(scope="module")
def styled_kelisim(tmp_path_factory: pytest.TempPathFactory, token_key: str) -> Iterator[Kelisim]:
    folder: Path = tmp_path_factory.mktemp("look")
    path = folder / "vendors.yaml"
    path.write_text(CATALOGUE.read_text(encoding="utf-8") + LOOK, encoding="utf-8")
    server = start_kelisim(f"sqlite:///{folder / 'k.sqlite3'}", path, token_key)
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


def axe_violations(page) -> list[str]:
    page.evaluate((package_dir("axe", "axe-core") / "axe.min.js").read_text(encoding="utf-8"))
    return page.evaluate(
        """() => axe.run(document.querySelector('#kelisim'), {resultTypes: ['violations']})
            .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))"""
    )


def test_auto_theme_follows_a_dark_preference_in_a_centred_modal(
    gated_browser, site, styled_kelisim, vendor_hosts
) -> None:
    visit = new_visit(
        gated_browser,
        site,
        styled_kelisim,
        vendor_hosts,
        color_scheme="dark",
        viewport={"width": 1280, "height": 800},
    )
    try:
        visit.open()
        root = visit.page.locator("#kelisim")
        assert root.get_attribute("class") == "k-modal k-dark"
        box = visit.page.locator("#kelisim .k-d").bounding_box()
        middle = box["y"] + box["height"] / 2
        assert abs(middle - 400) < 2, "a modal is centred"
        background = visit.page.locator("#kelisim .k-d").evaluate(
            "d => getComputedStyle(d).backgroundColor"
        )
        assert background == "rgb(27, 31, 36)"
        visit.page.evaluate("document.getAnimations().forEach(a => a.finish())")
        assert axe_violations(visit.page) == []
        visit.page.locator("#kelisim [data-kelisim-action=settings]").click()
        visit.page.locator("#kelisim .k-p").wait_for()
        for toggle in visit.page.locator("#kelisim button[aria-expanded]").all():
            toggle.click()
        assert axe_violations(visit.page) == []
    finally:
        visit.context.close()


def test_light_by_default_and_a_light_preference_keeps_it_light(
    gated_browser, site, styled_kelisim, kelisim, vendor_hosts
) -> None:
    for server, scheme, expected in (
        (styled_kelisim, "light", "k-modal"),
        (kelisim, "dark", "k-bar"),
    ):
        visit = new_visit(gated_browser, site, server, vendor_hosts, color_scheme=scheme)
        try:
            visit.open()
            assert visit.page.locator("#kelisim").get_attribute("class") == expected
        finally:
            visit.context.close()


def test_forced_colours_draw_an_edge_and_reduced_motion_stops_the_fade(
    gated_browser, site, kelisim, vendor_hosts
) -> None:
    visit = new_visit(
        gated_browser, site, kelisim, vendor_hosts, forced_colors="active", reduced_motion="reduce"
    )
    try:
        visit.open()
        dialog = visit.page.locator("#kelisim .k-d")
        dialog.wait_for()
        edge = dialog.evaluate(
            "d => { const s = getComputedStyle(d); return [s.borderTopWidth, s.borderTopStyle]; }"
        )
        assert edge == ["3px", "solid"]
        fade = visit.page.locator("#kelisim").evaluate("e => getComputedStyle(e).animationName")
        assert fade == "none"
    finally:
        visit.context.close()
    visit = new_visit(gated_browser, site, kelisim, vendor_hosts)
    try:
        visit.open()
        visit.page.locator("#kelisim .k-d").wait_for()
        edge = visit.page.locator("#kelisim .k-d").evaluate(
            "d => getComputedStyle(d).borderTopWidth"
        )
        assert edge == "0px"  # the shadow is the edge when colours are not forced
        fade = visit.page.locator("#kelisim").evaluate("e => getComputedStyle(e).animationName")
        assert fade == "k-in"
    finally:
        visit.context.close()
