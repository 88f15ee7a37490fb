"""axe-core (the real npm package, pinned by scripts/npm-tools) finds no WCAG 2.2 A/AA or best
practice violation on what visitors and staff see: both banner layers on the demo, the receipt
page, the no-JavaScript /preferences page, and every admin page, in Russian, Kazakh and English."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.support.admin import PASSWORD, add_user, with_admin
from tests.support.npm_tools import package_dir

pytestmark = pytest.mark.browser

LANGUAGES = ["ru", "kk", "en"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# The admin pages that need nothing but the seed catalogue to exist (an approval or a scan run
# page needs a request or an upload first; they share these pages' templates and macros).
ADMIN_PAGES = [
    "/admin/",
    "/admin/vendors",
    "/admin/vendors/new",
    "/admin/vendors/yandex_metrika",
    "/admin/texts/ru",
    "/admin/purposes/analytics",
    "/admin/appearance",
    "/admin/revisions",
    "/admin/revisions/draft",
    "/admin/consent-log",
    "/admin/requests",
    "/admin/subject-requests",
    "/admin/scans",
    "/admin/users",
    "/admin/audit",
]


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (package_dir("axe", "axe-core") / "axe.min.js").read_text(encoding="utf-8")


def violations(page: Any, axe_source: str, context: str | None = None) -> list[str]:
    """axe.run on the page (or inside `context`); evaluate() is not subject to the page's CSP."""
    page.evaluate(axe_source)
    found = page.evaluate(
        """([context, tags]) => axe.run(context ? document.querySelector(context) : document,
            {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => v.id + ': ' + v.help + ' — '
                + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))""",
        [context, TAGS],
    )
    return list(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_banner_layers_and_receipt_have_no_violations(demo, demo_browser, axe_source, language):
    context = demo_browser.new_context(viewport={"width": 390, "height": 700})
    try:
        page = context.new_page()
        page.goto(f"{demo.site_url}/{language}/")
        page.locator("#kelisim [data-kelisim-action=settings]").wait_for()
        page.evaluate("document.getAnimations().forEach(a => a.finish())")
        assert violations(page, axe_source, "#kelisim") == []
        page.locator("#kelisim [data-kelisim-action=settings]").click()
        page.locator("#kelisim .k-p").wait_for()
        assert violations(page, axe_source, "#kelisim") == []
        toggles = page.locator("#kelisim button[aria-expanded=false]")
        while toggles.count():
            toggles.first.click()
        page.locator("#kelisim details").first.evaluate("d => d.open = true")
        assert violations(page, axe_source, "#kelisim") == []
        state = page.evaluate("kelisim.acceptAll()")
        page.goto(f"{demo.cmp_url}/consent/{state['consent_id']}?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        assert violations(page, axe_source) == []
        # The choice without JavaScript, with the consent the cookie now names.
        page.goto(f"{demo.cmp_url}/preferences?site=default&lang={language}")
        assert page.locator("#current-choice a").count() == 1
        assert violations(page, axe_source) == []
    finally:
        context.close()


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def admin_url(app) -> Iterator[str]:
    with_admin(app)
    add_user(app, "boss", "admin")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()


def test_every_admin_page_has_no_violations(chromium, admin_url, axe_source):
    context = chromium.new_context()
    try:
        page = context.new_page()
        found: dict[str, list[str]] = {}
        for language in LANGUAGES:
            page.goto(f"{admin_url}/admin/login?lang={language}")
            if page.locator("#username").count():
                found[f"{language} /admin/login"] = violations(page, axe_source)
                page.fill("#username", "boss")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{admin_url}/admin/**")
            for path in ADMIN_PAGES:
                response = page.goto(f"{admin_url}{path}?lang={language}")
                assert response is not None and response.status == 200, path
                assert page.locator("html").get_attribute("lang") == language, path
                found[f"{language} {path}"] = violations(page, axe_source)
        bad = [f"{where}: {v}" for where, items in found.items() for v in items]
        assert not bad, "\n".join(bad)
    finally:
        context.close()
