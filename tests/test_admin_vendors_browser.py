"""In real Chromium: a marketer edits a vendor's Russian description, publishes after reading the
diff, and a visitor whose consent is from the previous revision is asked again by the banner."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from admin_support import PASSWORD, add_user, with_admin
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

pytestmark = pytest.mark.browser

NEW_RU = "Сервис VK Реклама показывает рекламу кредитов тем, кто уже был на сайте. Обновлено."
PAGE = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Кредит Плюс</title>
<script src="{cmp}/cmp.js" data-site="default" async></script></head>
<body><main><h1>Кредит Плюс</h1></main></body></html>"""


def _serve(app) -> tuple[object, threading.Thread, int]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, server.server_port


@pytest.fixture
def world(app) -> Iterator[tuple[str, str]]:
    """(the CMP with its admin at http://localhost:PORT, a lender page at http://127.0.0.1:PORT)."""
    with_admin(app)
    app.extensions["kelisim"].live.refresh_seconds = 0  # see a publish at once
    add_user(app, "boss", "admin")
    cmp_server, cmp_thread, cmp_port = _serve(app)
    cmp_url = f"http://localhost:{cmp_port}"

    @Request.application
    def site(request: Request) -> Response:
        return Response(PAGE.format(cmp=cmp_url), mimetype="text/html")

    site_server, site_thread, site_port = _serve(site)
    try:
        yield cmp_url, f"http://127.0.0.1:{site_port}"
    finally:
        for server, thread in ((cmp_server, cmp_thread), (site_server, site_thread)):
            server.shutdown()  # type: ignore[attr-defined]
            thread.join(timeout=10)


def test_publish_a_new_description_and_the_banner_asks_again(chromium, world, app):
    cmp_url, site_url = world
    visitor = chromium.new_context(locale="ru-RU")
    staff = chromium.new_context(locale="ru-RU")
    violations: list[str] = []
    try:
        # A visitor accepts on revision 1; on the next visit the banner stays closed.
        page = visitor.new_page()
        page.goto(site_url)
        page.wait_for_selector("#kelisim [role=dialog]")
        first = page.evaluate("kelisim.acceptAll()")
        assert first["revision"] == 1
        page.reload()
        assert page.evaluate("kelisim.ready.then(s => s.decided)") is True
        assert page.locator("#kelisim [role=dialog]").count() == 0

        # The marketer edits vk's Russian description, reads the diff, publishes.
        admin = staff.new_page()
        admin.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        admin.goto(f"{cmp_url}/admin/login")
        admin.fill("#username", "boss")
        admin.fill("#password", PASSWORD)
        admin.click("button[type=submit]")
        admin.wait_for_url(f"{cmp_url}/admin/")
        admin.click("nav.side >> text=Сервисы")
        admin.click("#vendor-vk >> text=Изменить")
        admin.fill("#description_ru", NEW_RU)
        admin.click("#save-vendor")
        admin.get_by_text("Сохранено в черновик").wait_for()
        admin.goto(f"{cmp_url}/admin/vendors")
        assert "изменён в черновике" in admin.locator("#vendor-vk").inner_text()
        admin.click("text=Проверить изменения и опубликовать")
        diff = admin.locator("main").inner_text()
        assert "Сервис vk" in diff and "description.ru" in diff and NEW_RU in diff
        admin.click("#publish")
        admin.get_by_text("Опубликована редакция 2").wait_for()
        assert violations == []

        # The returning visitor (a fresh tab, the same cookies) is asked again, with the new text.
        later = chromium.new_context(locale="ru-RU", storage_state=visitor.storage_state())
        try:
            again = later.new_page()
            again.goto(site_url)
            again.wait_for_selector("#kelisim [role=dialog]")
            state = again.evaluate("kelisim.ready")
            assert state["decided"] is False and state["revision"] == 2
            assert state["consent_id"] == first["consent_id"] or state["consent_id"] is None
            settings = again.locator("#kelisim [role=dialog] button").filter(has_text="Настро")
            settings.first.click()
            # The vendor's description sits in its disclosure in the settings layer.
            again.get_by_text(NEW_RU).first.wait_for(state="attached")
            assert NEW_RU in (again.locator("#kelisim").text_content() or "")
        finally:
            later.close()
    finally:
        visitor.close()
        staff.close()
