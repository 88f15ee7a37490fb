"""The demo with JavaScript off, in real Chromium: the site's <noscript> notice and its footer link
lead to /preferences on the CMP host, where the visitor refuses through the form; the choice is
recorded and kept in the consent cookie, and the visitor is back on the page they came from."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("how", ["notice", "footer"])
def test_without_javascript_the_choice_is_made_on_the_preferences_page(
    demo, demo_browser, how
) -> None:
    demo.clear_requests()
    context = demo_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        start = f"{demo.site_url}/kk/apply"
        page.goto(start)
        notice = page.locator(".kelisim-noscript")
        assert notice.is_visible()
        link = (
            notice.locator("a") if how == "notice" else page.locator("footer a[data-kelisim-show]")
        )
        link.click()
        page.wait_for_url(f"{demo.cmp_url}/preferences**")
        assert page.locator("html").get_attribute("lang") == "kk"
        page.locator("[data-kelisim-action=reject-all]").click()
        page.wait_for_url(start)
        cookies = {c["name"]: c for c in context.cookies(demo.site_url)}
        assert "kelisim_consent" in cookies
        # The CMP shows it back from the cookie, with the receipt of a refusal.
        page.goto(f"{demo.cmp_url}/preferences?site=default&lang=en")
        receipt = page.locator("#current-choice a")
        receipt.click()
        page.wait_for_url(f"{demo.cmp_url}/consent/**")
        expect(page.locator(".status-refused").first).to_be_visible()
        assert demo.requests() == []
    finally:
        context.close()
