"""In real Chromium: a marketer edits a vendor's Russian description, publishes after reading the
diff, and a visitor whose consent is from the previous revision is asked again by the banner."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.admin import PASSWORD, add_user, with_admin

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


def test_publish_a_new_description_and_the_banner_shows_it_without_asking_again(
    chromium, world, app
):
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

        # A wording fix is not material (kelisim.domain.materiality): the returning visitor (a
        # fresh tab, the same cookies) is not asked again, and the settings show the new text.
        later = chromium.new_context(locale="ru-RU", storage_state=visitor.storage_state())
        try:
            again = later.new_page()
            again.goto(site_url)
            state = again.evaluate("kelisim.ready")
            assert state["decided"] is True and state["revision"] == 2
            assert state["consent_id"] == first["consent_id"]
            assert again.locator("#kelisim [role=dialog]").count() == 0
            again.evaluate("kelisim.show()")
            again.wait_for_selector("#kelisim [role=dialog]")
            # The vendor's description sits in its disclosure in the settings layer.
            again.get_by_text(NEW_RU).first.wait_for(state="attached")
            assert NEW_RU in (again.locator("#kelisim").text_content() or "")
        finally:
            later.close()
    finally:
        visitor.close()
        staff.close()


NEW_HOST = "cdn.flocktory.example"


def _login(page, cmp_url: str, username: str) -> None:
    page.goto(f"{cmp_url}/admin/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{cmp_url}/admin/")


def _live_config(context, cmp_url: str) -> tuple[int, list[str]]:
    """What a visitor's banner is served now: the revision and flocktory's hosts."""
    response = context.request.get(f"{cmp_url}/api/v1/config?site=default&lang=ru")
    assert response.ok
    config = response.json()
    flocktory = next(v for v in config["vendors"] if v["id"] == "flocktory")
    return config["revision"], flocktory["hosts"]


def test_a_new_script_host_goes_live_only_after_a_second_admin_approves(chromium, world, app):
    cmp_url, _site_url = world
    add_user(app, "alice", "admin")
    add_user(app, "bob", "admin")
    alice_context = chromium.new_context(locale="ru-RU")
    bob_context = chromium.new_context(locale="ru-RU")
    try:
        revision_before, hosts_before = _live_config(alice_context, cmp_url)
        assert NEW_HOST not in hosts_before

        # Alice adds a script host to flocktory and reads the diff before publishing.
        alice = alice_context.new_page()
        _login(alice, cmp_url, "alice")
        alice.click("nav.side >> text=Сервисы")
        alice.click("#vendor-flocktory >> text=Изменить")
        hosts = alice.locator("#script_hosts")
        hosts.fill(f"{hosts.input_value().rstrip()}\n{NEW_HOST}")
        alice.click("#save-vendor")
        alice.get_by_text("Сохранено в черновик").wait_for()
        alice.goto(f"{cmp_url}/admin/vendors")
        alice.click("text=Проверить изменения и опубликовать")
        assert "Сервис flocktory" in alice.locator("main").inner_text()
        assert NEW_HOST in alice.locator("main .diff").inner_text()
        needs_approval = alice.locator("#needs-approval")
        assert "должен одобрить другой администратор" in needs_approval.inner_text()
        assert f"flocktory: {NEW_HOST}" in needs_approval.inner_text()
        assert alice.locator("#publish").inner_text() == "Отправить на одобрение"

        # Requesting publication leaves it pending: visitors are still served the old revision.
        alice.click("#publish")
        alice.get_by_text("Запрос на одобрение создан").wait_for()
        approval_url = alice.url
        assert "/admin/revisions/approvals/" in approval_url
        assert alice.locator("#approval-status").inner_text() == "ожидает"
        assert _live_config(alice_context, cmp_url) == (revision_before, hosts_before)

        # Alice has no approve button, and sending the approve form anyway is refused.
        assert alice.locator("#approve").count() == 0
        alice.get_by_text("Свой запрос одобрить нельзя").wait_for()
        alice.locator("form:has(#reject)").evaluate(
            "(form, url) => { form.action = url; form.submit(); }", f"{approval_url}/approve"
        )
        alice.locator("[role=alert]").filter(has_text="Свой запрос одобрить нельзя").wait_for()
        assert alice.url == approval_url
        assert alice.locator("#approval-status").inner_text() == "ожидает"
        assert _live_config(alice_context, cmp_url) == (revision_before, hosts_before)

        # Bob, in his own browser session, opens the pending request, reads it and approves.
        bob = bob_context.new_page()
        _login(bob, cmp_url, "bob")
        bob.click("nav.side >> text=Редакции")
        bob.click("#pending-approval >> text=Открыть")
        bob.wait_for_url(approval_url)
        assert "alice" in bob.locator("main").inner_text()
        assert NEW_HOST in bob.locator("main .diff").inner_text()
        bob.click("#approve")
        bob.get_by_text(f"Опубликована редакция {revision_before + 1}").wait_for()
        assert bob.locator("#pending-approval").count() == 0

        revision_after, hosts_after = _live_config(bob_context, cmp_url)
        assert revision_after == revision_before + 1
        assert NEW_HOST in hosts_after

        # The audit log names who asked and who approved.
        bob.click("nav.side >> text=Журнал действий")
        rows = bob.locator("main table tbody tr")
        request_row = rows.filter(has_text="catalogue.approval.request")
        approve_row = rows.filter(has_text="catalogue.approval.approve")
        assert request_row.locator("td").nth(1).inner_text() == "alice"
        assert approve_row.locator("td").nth(1).inner_text() == "bob"
        assert NEW_HOST in request_row.inner_text() and NEW_HOST in approve_row.inner_text()
    finally:
        alice_context.close()
        bob_context.close()
