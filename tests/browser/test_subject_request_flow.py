"""In real Chromium: a visitor asks on their receipt page for their processing to be blocked, sees
the confirmation with its reference and deadline, and staff find the request in the admin queue,
block from there, and the visitor's receipt says the consent is blocked. axe-core finds no WCAG
2.2 A/AA violation on the form, the confirmation or the queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.admin import PASSWORD, add_user
from tests.support.npm_tools import package_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's access log would write the consent id in the receipt's path."""

    def log_request(self, *args: Any) -> None:
        pass


@pytest.fixture
def server_url(app) -> Iterator[str]:
    add_user(app, "officer", "editor")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def axe_source() -> str:
    return (package_dir("axe", "axe-core") / "axe.min.js").read_text(encoding="utf-8")


def violations(page: Any, axe_source: str) -> list[str]:
    page.evaluate(axe_source)
    return list(
        page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations']}).then(r => r.violations.map(v => v.id + ': '
                + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))""",
            TAGS,
        )
    )


def test_a_request_filed_on_the_receipt_reaches_the_staff_queue(
    app, client, consent_body, chromium, server_url, axe_source
):
    given = client.post("/api/v1/consent", json=consent_body(language="ru")).get_json()
    visitor = chromium.new_context(viewport={"width": 390, "height": 800})
    staff = chromium.new_context()
    try:
        page = visitor.new_page()
        page.goto(f"{server_url}/consent/{given['consent_id']}")
        form = page.locator("#subject-request")
        expect(form.get_by_role("heading")).to_have_text("Запрос о ваших данных")
        assert violations(page, axe_source) == []
        # The browser itself refuses to send the form without a choice (required radio group).
        page.click("#request-submit")
        assert "/requests/" not in page.url
        page.get_by_label("Заблокировать обработку моих данных").check()
        page.get_by_label("Как с вами связаться (необязательно)").fill("aigerim@example.kz")
        page.get_by_label("Сообщение (необязательно)").fill("Не давала согласия на Метрику")
        page.click("#request-submit")
        expect(page.locator("#request-received")).to_have_text("Ваш запрос принят.")
        reference = page.locator("#request-reference").inner_text()
        expect(page.locator("#request-due")).to_contain_text("по времени Алматы (UTC+5)")
        assert violations(page, axe_source) == []

        desk = staff.new_page()
        desk.goto(f"{server_url}/admin/login?lang=en")
        desk.fill("#username", "officer")
        desk.fill("#password", PASSWORD)
        desk.click("button[type=submit]")
        desk.wait_for_url(f"{server_url}/admin/**")
        desk.get_by_role("link", name="Request queue").click()
        row = desk.locator(f"#sreq-{reference}")
        expect(row).to_contain_text("aigerim@example.kz")
        expect(row).to_contain_text("Не давала согласия на Метрику")
        expect(row).not_to_have_attribute("data-overdue", "1")
        assert violations(desk, axe_source) == []
        row.get_by_label("Note").fill("phone call 3 Dec")
        row.locator(f"#do-block-{reference}").click()
        expect(desk.locator("#sreq-done")).to_contain_text(f"Request {reference}: consent blocked")
        expect(desk.locator("#sreq-none")).to_be_visible()

        page.goto(f"{server_url}/consent/{given['consent_id']}?lang=en")
        expect(page.locator(".notice")).to_contain_text("blocked after a data-subject request")
        expect(page.locator("table.requests")).to_contain_text("processing blocked")
    finally:
        visitor.close()
        staff.close()
