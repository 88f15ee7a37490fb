"""The Users and Audit log pages, the account rules behind them, and the admin migration."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from kelisim.services.accounts import AccountError
from kelisim.store.admin_tables import metadata as admin_metadata
from kelisim.web.admin.shell import SESSION_COOKIE, services
from kelisim.web.admin.texts import LANGUAGES, TEXTS
from tests.support.admin import PASSWORD, add_user, csrf_token, error_text, login, with_admin


@pytest.fixture
def admin_app(app):
    return with_admin(app)


@pytest.fixture
def boss(admin_app):
    add_user(admin_app, "boss", "admin")
    client = admin_app.test_client()
    login(client, "boss")
    return client


def _post(client, path: str, data: dict[str, str]):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users"), **data})


def test_an_admin_adds_a_user_who_can_then_log_in(admin_app, boss):
    added = _post(
        boss,
        "/admin/users",
        {
            "username": "Aigerim",
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "role": "editor",
        },
    )
    assert added.status_code == 302
    page = boss.get("/admin/users").get_data(as_text=True)
    assert "Пользователь aigerim добавлен." in page
    assert 'id="user-aigerim"' in page

    newcomer = admin_app.test_client()
    assert login(newcomer, "aigerim").status_code == 302
    assert newcomer.get("/admin/").status_code == 200


@pytest.mark.parametrize("elsewhere", ["/admin/vendors", "/admin/revisions", "/admin/consent-log"])
def test_a_message_flashed_on_one_page_shows_on_whichever_page_comes_next(boss, elsewhere):
    """An admin who adds a user and opens another page first (a second tab, a bookmark) gets
    that page with the message, not an error."""
    added = _post(
        boss,
        "/admin/users",
        {
            "username": "dana",
            "password": PASSWORD,
            "password_repeat": PASSWORD,
            "role": "viewer",
        },
    )
    assert added.status_code == 302
    page = boss.get(elsewhere)
    assert page.status_code == 200
    assert "Пользователь dana добавлен." in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password_repeat": "something else entirely"}, "Пароли не совпадают."),
        ({"password": "short", "password_repeat": "short"}, "не короче 12 символов"),
        ({"username": "bad name!"}, "Имя пользователя: 3–64 символа"),
        ({"username": "boss"}, "уже занято"),
    ],
)
def test_adding_a_user_explains_what_is_wrong(boss, data, message):
    form = {"username": "newcomer", "password": PASSWORD, "password_repeat": PASSWORD}
    refused = _post(boss, "/admin/users", {**form, "role": "viewer", **data})
    assert refused.status_code == 400
    assert message in error_text(refused)
    assert PASSWORD not in refused.get_data(as_text=True)


def test_disabling_a_user_ends_their_sessions_at_once(admin_app, boss):
    add_user(admin_app, "marketer", "editor")
    marketer = admin_app.test_client()
    login(marketer, "marketer")
    assert marketer.get("/admin/").status_code == 200

    assert _post(boss, "/admin/users/marketer/disable", {}).status_code == 302
    assert marketer.get("/admin/").status_code == 302
    assert login(admin_app.test_client(), "marketer").status_code == 200  # refused

    assert _post(boss, "/admin/users/marketer/enable", {}).status_code == 302
    assert login(admin_app.test_client(), "marketer").status_code == 302


def test_changing_a_role_takes_effect_on_the_next_request(admin_app, boss):
    user = add_user(admin_app, "marketer", "viewer")
    marketer = admin_app.test_client()
    login(marketer, "marketer")
    assert marketer.get("/admin/users").status_code == 403
    changed = _post(boss, "/admin/users/marketer/role", {f"role-{user.id}-role": "admin"})
    assert changed.status_code == 302
    assert marketer.get("/admin/users").status_code == 200


def test_the_last_admin_cannot_be_demoted_or_disable_themselves(admin_app, boss):
    me = services(admin_app).accounts.find("boss")
    demoted = _post(boss, "/admin/users/boss/role", {f"role-{me.id}-role": "viewer"})
    assert demoted.status_code == 400
    assert "последнего активного администратора" in error_text(demoted)
    disabled = _post(boss, "/admin/users/boss/disable", {})
    assert disabled.status_code == 400
    with pytest.raises(AccountError) as refused:
        services(admin_app).accounts.set_disabled("boss", True, actor="test")
    assert refused.value.code == "last_admin"
    assert services(admin_app).accounts.find("boss").role == "admin"


def test_changes_to_unknown_users_are_404(boss):
    assert _post(boss, "/admin/users/nobody/disable", {}).status_code == 404


def test_the_audit_log_shows_who_changed_what(admin_app, boss):
    user = add_user(admin_app, "marketer", "viewer")
    _post(boss, "/admin/users/marketer/role", {f"role-{user.id}-role": "editor"})
    _post(boss, "/admin/users/marketer/disable", {})
    login(admin_app.test_client(), "boss", "wrong password guess")

    entries = services(admin_app).audit.list()
    seen = [(e.actor, e.action, e.target) for e in entries]
    assert seen[:4] == [
        ("-", "login.failed", "boss"),
        ("boss", "user.disable", "marketer"),
        ("boss", "user.role", "marketer"),
        ("test", "user.add", "marketer"),
    ]
    assert entries[2].before["role"] == "viewer" and entries[2].after["role"] == "editor"
    assert all("password_hash" not in (e.after or {}) for e in entries)

    page = boss.get("/admin/audit").get_data(as_text=True)
    assert "user.role" in page and "<del>viewer</del> → <ins>editor</ins>" in page


def test_the_audit_log_pages_back_through_older_entries(admin_app, boss):
    audit = services(admin_app).audit
    for n in range(60):
        audit.append("test", "demo.entry", f"target-{n:02d}")
    first = boss.get("/admin/audit").get_data(as_text=True)
    assert "target-59" in first and "target-00" not in first
    older = first.split('href="/admin/audit?before=')[1].split('"')[0]
    second = boss.get(f"/admin/audit?before={older}").get_data(as_text=True)
    assert "target-00" in second and "target-59" not in second


def test_audit_entries_cannot_forge_lines(admin_app):
    entry = services(admin_app).audit.append("test", "user.add", "evil\nINFO forged\r\x1b[2J")
    assert "\n" not in entry.target and "\r" not in entry.target and "\x1b" not in entry.target


def test_the_dashboard_shows_the_live_catalogue(admin_app, boss):
    catalogue = admin_app.extensions["kelisim"].catalogue
    page = boss.get("/admin/").get_data(as_text=True)
    assert f'<div class="stat">{len(catalogue.vendors)}</div>' in page


@pytest.mark.parametrize("path", ["/admin/vendors", "/admin/revisions"])
def test_the_catalogue_sections_are_real_pages_now(boss, path):
    page = boss.get(path)
    assert page.status_code == 200
    assert "Раздел появится в следующем выпуске" not in page.get_data(as_text=True)


def test_every_admin_string_exists_in_every_language():
    missing = [
        (key, lang) for key, entry in TEXTS.items() for lang in LANGUAGES if not entry.get(lang)
    ]
    assert missing == []


def test_the_migration_creates_the_admin_tables_as_the_code_describes_them(admin_app):
    engine = services(admin_app).accounts.engine
    inspector = inspect(engine)
    for table in admin_metadata.sorted_tables:
        columns = {column["name"]: column for column in inspector.get_columns(table.name)}
        assert set(columns) == {column.name for column in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
    assert SESSION_COOKIE.startswith("__Host-")
