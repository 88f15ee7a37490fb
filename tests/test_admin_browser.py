"""The admin login in real Chromium: what the browser is told to keep, and what it keeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from kelisim.web.admin.shell import SESSION_COOKIE
from tests.support.admin import PASSWORD, add_user, with_admin

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_url(app) -> Iterator[str]:
    """The real app on a loopback port, addressed as http://localhost (a secure context)."""
    with_admin(app)
    add_user(app, "boss", "admin")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_staff_log_in_through_the_form_and_the_browser_keeps_no_credentials(chromium, admin_url):
    context = chromium.new_context(locale="ru-RU")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        page.goto(f"{admin_url}/admin/")
        assert page.url.startswith(f"{admin_url}/admin/login")

        password = page.locator("#password")
        assert password.get_attribute("type") == "password"
        assert password.get_attribute("autocomplete") == "new-password"
        assert page.locator("#username").get_attribute("autocomplete") == "off"
        assert page.locator("form[method=post]").first.get_attribute("autocomplete") == "off"
        assert page.get_by_text("Не сохраняйте пароль в браузере").is_visible()

        page.fill("#username", "boss")
        page.fill("#password", "not the password at all")
        page.click("button[type=submit]")
        assert page.locator("#login-error").inner_text() == "Неверное имя пользователя или пароль."
        assert page.locator("#password").input_value() == ""

        page.fill("#username", "boss")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{admin_url}/admin/")
        assert page.locator("h1").inner_text() == "Обзор"
        nav = page.locator("nav.side").inner_text()
        for section in ("Сервисы", "Журнал согласий", "Пользователи", "Журнал действий"):
            assert section in nav

        storage = page.evaluate("() => [localStorage.length, sessionStorage.length]")
        assert storage == [0, 0]
        assert page.evaluate("() => document.cookie") == ""  # HttpOnly: invisible to scripts
        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        admin_cookie = cookies[SESSION_COOKIE]
        assert admin_cookie["secure"] and admin_cookie["httpOnly"]
        assert admin_cookie["sameSite"] == "Strict" and admin_cookie["path"] == "/"
        assert admin_cookie["expires"] == -1  # ends with the browser session

        page.click("text=Пользователи")
        page.wait_for_url(f"{admin_url}/admin/users")
        page.click("header.top button[type=submit]")  # log out
        page.wait_for_url(f"{admin_url}/admin/login*")
        assert "Вы вышли из системы." in page.content()
        page.goto(f"{admin_url}/admin/")
        assert "/admin/login" in page.url
        assert violations == []
    finally:
        context.close()
