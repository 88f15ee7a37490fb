"""The staff second factor in real Chromium: TOTP enrolment with a server-rendered QR code, login
with a code, a wrong code, a reused code and a recovery code; every step audited."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from kelisim.store.admin_tables import audit_log
from kelisim.web.app import create_app
from tests.support.admin import PASSWORD, add_user, with_admin

pytestmark = pytest.mark.browser


@pytest.fixture
def mfa_app(settings):
    app = create_app(settings.with_changes(mfa_required_roles=("admin",)))
    app.config.update(TESTING=True)
    with_admin(app)
    add_user(app, "boss", "admin")
    yield app
    app.extensions["kelisim.limits"].close()
    app.extensions["kelisim"].close()


@pytest.fixture
def admin_url(mfa_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, mfa_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _password_step(page, admin_url: str) -> None:
    page.goto(f"{admin_url}/admin/login")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def _code_step(page, code: str) -> None:
    page.fill("#code", code)
    page.click("#verify")


def _logout(page) -> None:
    page.click("header form button[type=submit]")
    page.wait_for_url("**/admin/login**")


def _step_code(totp: pyotp.TOTP, offset: int) -> str:
    return totp.at(int(time.time()) + offset * totp.interval)


def test_enrol_then_log_in_with_codes_and_recovery_codes(chromium, admin_url, mfa_app):
    context = chromium.new_context(locale="ru-RU")
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        # The password alone does not open the admin for an admin: enrolment comes first.
        _password_step(page, admin_url)
        page.wait_for_url("**/admin/mfa/enrol")
        assert page.locator("#mfa-qr svg path").count() >= 1  # the QR code, drawn by the server
        assert page.locator("script").count() == 0
        secret = page.locator("#mfa-secret").inner_text().strip()
        totp = pyotp.TOTP(secret)
        # No session yet: the admin itself still asks for a login.
        page.goto(f"{admin_url}/admin/")
        assert "/admin/login" in page.url
        page.goto(f"{admin_url}/admin/mfa/enrol")
        page.fill("#code", "000000" if totp.now() != "000000" else "111111")
        page.click("#confirm")
        # The answer stays on the same URL: wait for its document, not for a navigation.
        expect(page.locator("#mfa-error")).to_be_visible()
        page.fill("#code", _step_code(totp, 0))
        page.click("#confirm")
        expect(page.locator("#recovery-codes code")).to_have_count(10)
        codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
        assert len(codes) == 10 and len(set(codes)) == 10
        page.click("#continue")
        page.wait_for_url(f"{admin_url}/admin/")
        _logout(page)

        # Login with a code: a wrong one is refused, a fresh one works.
        _password_step(page, admin_url)
        page.wait_for_url("**/admin/login/code")
        _code_step(page, "123456" if _step_code(totp, 1) != "123456" else "654321")
        assert "не подходит" in page.locator("#mfa-error").inner_text()
        fresh = _step_code(totp, 1)
        _code_step(page, fresh)
        page.wait_for_url(f"{admin_url}/admin/")
        _logout(page)

        # The same code again (replayed) is refused.
        _password_step(page, admin_url)
        page.wait_for_url("**/admin/login/code")
        _code_step(page, fresh)
        assert "уже использован" in page.locator("#mfa-error").inner_text()
        assert page.url.endswith("/admin/login/code")

        # A recovery code works once.
        _code_step(page, codes[0])
        page.wait_for_url(f"{admin_url}/admin/")
        _logout(page)
        _password_step(page, admin_url)
        page.wait_for_url("**/admin/login/code")
        _code_step(page, codes[0])
        expect(page.locator("#mfa-error")).to_be_visible()
        assert page.url.endswith("/admin/login/code")
        assert violations == []
    finally:
        context.close()

    engine = mfa_app.extensions["kelisim"].store.engine
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.after)).all()
    actions = [row.action for row in rows]
    assert actions.count("mfa.enrol") == 1
    factors = [row.after["factor"] for row in rows if row.action == "mfa.used"]
    assert factors == ["totp", "recovery"]


def test_a_reset_second_factor_is_enrolled_again_and_audited(mfa_app):
    services = mfa_app.extensions["kelisim_admin"]
    boss = services.accounts.find("boss")
    enrolment = services.mfa.begin(boss.id, "boss")
    assert services.mfa.confirm(boss.id, "boss", pyotp.TOTP(enrolment.secret).now())
    assert services.mfa.enrolled(boss.id)
    services.mfa.reset(boss.id, "boss", actor="helpdesk")
    assert not services.mfa.enrolled(boss.id)
    with services.accounts.engine.connect() as conn:
        actors = conn.execute(
            select(audit_log.c.actor).where(audit_log.c.action == "mfa.reset")
        ).all()
    assert [row.actor for row in actors] == ["helpdesk"]
