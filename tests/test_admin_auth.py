"""Staff login for the admin UI: answers that reveal nothing, throttling, cookies, timeouts,
roles, CSRF and security headers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import kelisim.services.accounts
from kelisim.services.accounts import ACCOUNT_FAILURE_LIMIT, NETWORK_FAILURE_LIMIT
from kelisim.store.admin_tables import admin_sessions, audit_log
from kelisim.store.throttle_tables import login_throttle
from kelisim.web.admin.shell import SESSION_COOKIE, services
from kelisim.web.app import create_app
from tests.support.admin import PASSWORD, Clock, add_user, csrf_token, error_text, login, with_admin

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def admin_app(app):
    return with_admin(app)


@pytest.fixture
def staff(admin_app):
    """A fresh client and an admin account named boss."""
    add_user(admin_app, "boss", "admin")
    return admin_app.test_client()


def _session_cookie(client):
    return client.get_cookie(SESSION_COOKIE)


def test_login_with_the_right_password_opens_the_dashboard(staff):
    response = login(staff, "boss")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    page = staff.get("/admin/")
    assert page.status_code == 200
    assert "boss" in page.get_data(as_text=True)


def test_every_admin_page_but_the_login_needs_a_session(admin_app):
    """Default deny: a page added later is not public unless it is listed as such."""
    add_user(admin_app, "victim", "viewer")
    client = admin_app.test_client()
    token = csrf_token(client)
    checked = []
    for rule in _admin_routes(admin_app):
        if rule.endpoint in ("admin.login", "admin.logout"):
            continue
        url = rule.build({arg: "victim" for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", *UNSAFE}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code in (302, 303), f"{method} {url}"
            assert response.headers["Location"].startswith("/admin/login"), f"{method} {url}"
            checked.append(f"{method} {rule.rule}")
    assert {"GET /admin/", "GET /admin/users", "POST /admin/users"} <= set(checked)
    assert not services(admin_app).accounts.find("victim").disabled


def test_unknown_user_and_wrong_password_get_the_same_answer(staff, monkeypatch):
    verified: list[str] = []
    real_verify = kelisim.services.accounts._verify

    def counting_verify(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(kelisim.services.accounts, "_verify", counting_verify)
    wrong = login(staff, "boss", "not the password at all")
    unknown = login(staff, "nobody-here", "not the password at all")

    assert wrong.status_code == unknown.status_code == 200
    assert error_text(wrong) == error_text(unknown) == "Неверное имя пользователя или пароль."
    # Both paths pay for one argon2 verification, so timing does not tell them apart either.
    assert len(verified) == 2
    assert all(h.startswith("$argon2id$") for h in verified)
    assert staff.get("/admin/").status_code == 302


def test_a_disabled_account_gets_the_same_answer_as_a_wrong_password(admin_app, staff):
    add_user(admin_app, "gone", "editor")
    services(admin_app).accounts.set_disabled("gone", True, actor="test")
    refused = login(staff, "gone")
    wrong = login(staff, "boss", "not the password at all")
    assert error_text(refused) == error_text(wrong)
    assert staff.get("/admin/").status_code == 302


def test_failed_logins_never_store_what_was_typed(admin_app, staff):
    typed = "my-real-password-typed-as-username"
    login(staff, typed, "whatever it was")
    engine = services(admin_app).accounts.engine
    with engine.connect() as conn:
        rows = [*conn.execute(select(login_throttle)), *conn.execute(select(audit_log))]
    assert rows, "the failure was not counted"
    assert typed not in repr(rows)


def test_throttling_holds_across_two_app_instances_and_then_lifts(admin_app, settings):
    other_app = with_admin(create_app(settings))
    try:
        clock = Clock(admin_app, other_app)
        add_user(admin_app, "boss", "admin")
        first, second = admin_app.test_client(), other_app.test_client()
        for _ in range(ACCOUNT_FAILURE_LIMIT):
            assert login(first, "boss", "wrong password guess").status_code == 200

        # The next attempt, on the other instance and with the right password, is refused unseen.
        throttled = login(second, "boss")
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60
        assert "Слишком много" in error_text(throttled)
        assert second.get("/admin/").status_code == 302

        # No permanent lockout: once the window has passed, the right password works again.
        clock.advance(minutes=15, seconds=1)
        assert login(second, "boss").status_code == 302
        assert second.get("/admin/").status_code == 200
    finally:
        other_app.extensions["kelisim"].close()


def test_throttling_counts_failures_per_network_too(admin_app):
    add_user(admin_app, "boss", "admin")
    neighbour = admin_app.test_client()
    office = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    for n in range(NETWORK_FAILURE_LIMIT):
        login(neighbour, f"guess{n:03d}", "wrong password guess", **office)
    same_network = admin_app.test_client()
    refused = login(same_network, "boss", PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.99"})
    assert refused.status_code == 429
    elsewhere = admin_app.test_client()
    accepted = login(elsewhere, "boss", PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert accepted.status_code == 302


def test_unknown_usernames_are_throttled_like_real_ones(staff):
    answers = [
        login(staff, "ghost", "wrong password guess") for _ in range(ACCOUNT_FAILURE_LIMIT + 1)
    ]
    assert [a.status_code for a in answers[:-1]] == [200] * ACCOUNT_FAILURE_LIMIT
    assert answers[-1].status_code == 429


def test_admin_session_cookie_is_host_only_secure_httponly_strict(staff):
    response = staff.get("/admin/login")
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0].lower(): part for part in header.split(";")[1:]}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["path"].strip() == "Path=/"
    assert attributes["samesite"].strip() == "SameSite=Strict"
    assert "domain" not in attributes  # required by the __Host- prefix
    assert "expires" not in attributes and "max-age" not in attributes  # browser-session cookie
    assert len(header) < 4096

    after_login = login(staff, "boss").headers["Set-Cookie"]
    assert after_login.startswith(f"{SESSION_COOKIE}=")
    assert (
        "Secure" in after_login and "HttpOnly" in after_login and "SameSite=Strict" in after_login
    )


def test_the_visitor_session_cookie_is_not_the_admin_one(staff):
    """The receipt page's CSRF session and the staff session are separate cookies."""
    login(staff, "boss")
    assert staff.get_cookie("kelisim_session") is None
    assert staff.get_cookie(SESSION_COOKIE) is not None


def test_login_replaces_the_session(admin_app, staff):
    csrf_token(staff)
    before = _session_cookie(staff).value
    login(staff, "boss")
    after = _session_cookie(staff).value
    assert after != before
    # A cookie planted before login (session fixation) is worth nothing after it.
    planted = admin_app.test_client()
    planted.set_cookie(SESSION_COOKIE, before, domain="localhost")
    assert planted.get("/admin/").status_code == 302


def test_logout_ends_the_session_on_the_server(admin_app, staff):
    login(staff, "boss")
    stolen = _session_cookie(staff).value
    logout = staff.post("/admin/logout", data={"csrf_token": csrf_token(staff, "/admin/")})
    assert logout.status_code == 302
    assert "notice=logged_out" in logout.headers["Location"]
    replay = admin_app.test_client()
    replay.set_cookie(SESSION_COOKIE, stolen, domain="localhost")
    assert replay.get("/admin/").status_code == 302
    with services(admin_app).accounts.engine.connect() as conn:
        assert conn.execute(select(admin_sessions)).first() is None


def test_session_ends_after_30_idle_minutes(admin_app, staff):
    clock = Clock(admin_app)
    login(staff, "boss")
    clock.advance(minutes=29)
    assert staff.get("/admin/").status_code == 200  # activity resets the idle timer
    clock.advance(minutes=29)
    assert staff.get("/admin/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    ended = staff.get("/admin/users")
    assert ended.status_code == 302
    assert "notice=session_ended" in ended.headers["Location"]
    assert "next=/admin/users" in ended.headers["Location"]
    page = staff.get(ended.headers["Location"]).get_data(as_text=True)
    assert "Сеанс завершён" in page
    # Logging out of an already ended session still works, and does not look like an error.
    logout = staff.post("/admin/logout", data={"csrf_token": csrf_token(staff)})
    assert logout.status_code == 302 and "notice=logged_out" in logout.headers["Location"]


def test_session_ends_12_hours_after_login_however_active(admin_app, staff):
    clock = Clock(admin_app)
    login(staff, "boss")
    for step in range(12 * 3):
        clock.advance(minutes=20)
        assert staff.get("/admin/").status_code == 200, f"ended early, after {20 * (step + 1)} min"
    clock.advance(minutes=1)
    assert "notice=session_ended" in staff.get("/admin/").headers["Location"]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_manage_users(admin_app, role):
    add_user(admin_app, "marketer", role)
    client = admin_app.test_client()
    login(client, "marketer")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    token = csrf_token(client, "/admin/")
    refused = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "intruder",
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "role": "admin",
        },
    )
    assert refused.status_code == 403
    assert services(admin_app).accounts.find("intruder") is None
    assert "/admin/users" not in client.get("/admin/").get_data(as_text=True)


def test_login_never_redirects_off_site(staff):
    token = csrf_token(staff)
    for target in ("https://evil.example/", "//evil.example/admin", "/admin\\@evil.example"):
        response = staff.post(
            "/admin/login?next=" + target,
            data={"csrf_token": token, "username": "boss", "password": PASSWORD},
        )
        assert response.headers["Location"] == "/admin/", target
        staff.post("/admin/logout", data={"csrf_token": csrf_token(staff, "/admin/")})
        token = csrf_token(staff)


def test_passwords_are_stored_as_argon2id_above_the_asvs_floor(admin_app):
    add_user(admin_app, "boss", "admin")
    with services(admin_app).accounts.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM admin_users").scalar_one()
    match = re.match(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", stored)
    assert match, stored[:20]
    memory_kib, time_cost, _ = map(int, match.groups())
    assert memory_kib >= 19 * 1024 and time_cost >= 2
    assert PASSWORD not in stored


# -- CSRF and headers over every admin route ------------------------------------------------


def _admin_routes(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")),
        key=lambda rule: rule.rule,
    )


def test_every_state_changing_admin_route_refuses_a_request_without_a_valid_token(admin_app):
    assert admin_app.config.get("WTF_CSRF_ENABLED", True), "tests must not switch CSRF off"
    add_user(admin_app, "boss", "admin")
    victim = add_user(admin_app, "victim", "editor")
    client = admin_app.test_client()
    login(client, "boss")
    good_token = csrf_token(client, "/admin/")
    other = admin_app.test_client()
    foreign_token = csrf_token(other)  # valid, but for somebody else's session

    checked = []
    for rule in _admin_routes(admin_app):
        for method in sorted((rule.methods or set()) & UNSAFE):
            url = rule.build(
                {arg: victim.username for arg in rule.arguments}, append_unknown=False
            )[1]
            form = {"username": "newcomer", "password": PASSWORD, "password_repeat": PASSWORD}
            form |= {"role": "admin", f"role-{victim.id}-role": "admin"}
            attempts = {
                "no token": {"data": form},
                "forged token": {"data": form | {"csrf_token": "forged"}},
                "another session's token": {"data": form | {"csrf_token": foreign_token}},
                "foreign origin": {
                    "data": form | {"csrf_token": good_token},
                    "headers": {"Origin": "https://evil.example"},
                },
                "cross-site fetch": {
                    "data": form | {"csrf_token": good_token},
                    "headers": {"Sec-Fetch-Site": "cross-site"},
                },
            }
            for name, request in attempts.items():
                response = client.open(url, method=method, **request)
                assert response.status_code == 403, f"{method} {url} with {name}"
                assert "Форма устарела" in response.get_data(as_text=True)
            checked.append(f"{method} {rule.rule}")

    assert {"POST /admin/login", "POST /admin/logout", "POST /admin/users"} <= set(checked)
    accounts = services(admin_app).accounts
    assert accounts.find("newcomer") is None
    victim_now = accounts.find("victim")
    assert victim_now.role == "editor" and not victim_now.disabled
    assert client.get("/admin/").status_code == 200  # logout without a token did not log out


def test_admin_pages_send_a_strict_csp_with_a_fresh_nonce_and_no_store(admin_app, staff):
    login(staff, "boss")
    nonces = set()
    paths = [
        rule.rule
        for rule in _admin_routes(admin_app)
        if "GET" in (rule.methods or ()) and not rule.arguments
    ]
    assert "/admin/users" in paths and "/admin/login" in paths
    for path in [*paths, "/admin/no-such-page"]:
        response = staff.get(path)
        csp = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        nonces.add(nonce)
        assert f"script-src 'nonce-{nonce}' 'strict-dynamic'" in csp
        assert f"style-src 'self' 'nonce-{nonce}'" in csp
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'"):
            assert directive in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        body = response.get_data(as_text=True)
        if response.status_code == 200:
            # Every inline style carries this response's nonce; there is no inline script at all.
            assert re.findall(r"<style nonce=\"([^\"]+)\"", body) == [nonce], path
            assert "<script" not in body and " style=" not in body
            assert not re.search(r"\son[a-z]+=", body), path
    assert len(nonces) == len(paths) + 1


def test_login_page_masks_the_password_and_gives_advice_in_each_language(admin_app):
    client = admin_app.test_client()
    for lang, advice in (
        ("ru", "Не сохраняйте пароль в браузере"),
        ("kk", "Құпиясөзді браузерде сақтамаңыз"),
        ("en", "Do not let the browser save your password"),
    ):
        page = client.get(f"/admin/login?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        assert advice in page
        password = re.search(r"<input type=\"password\"[^>]*>", page, re.S).group(0)
        assert 'autocomplete="new-password"' in password and 'value=""' in password
        username = re.search(r"<input type=\"text\" id=\"username\"[^>]*>", page, re.S).group(0)
        assert 'autocomplete="off"' in username
        assert '<form method="post"' in page and 'autocomplete="off"' in page
    # The choice sticks for the session.
    assert '<html lang="en">' in client.get("/admin/login").get_data(as_text=True)


def test_a_failed_login_does_not_echo_the_password(staff):
    secret = "hunter2-but-longer-than-twelve"
    body = login(staff, "boss", secret).get_data(as_text=True)
    assert secret not in body
