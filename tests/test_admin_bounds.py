"""Hostile values in admin URLs: a clear 4xx or a safe fallback, never a 500."""

from __future__ import annotations

import pytest

from tests.support.admin import PASSWORD, add_user, csrf_token, login, with_admin


@pytest.fixture
def boss(app):
    admin_app = with_admin(app)
    add_user(admin_app, "boss", "admin")
    client = admin_app.test_client()
    login(client, "boss")
    return client


@pytest.mark.parametrize("before", ["99999999999999999999", "9223372036854775808", "-1", "1e9"])
def test_an_out_of_range_audit_page_is_the_first_page(boss, before):
    page = boss.get(f"/admin/audit?before={before}")
    assert page.status_code == 200
    assert "user.add" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/revisions/approvals/99999999999999999999",
        "/admin/revisions/approvals/2147483648",
        "/admin/revisions/99999999999999999999/vendors.yaml",
        "/admin/revisions/9223372036854775808/vendors.yaml",
    ],
)
def test_oversized_revision_numbers_are_404(boss, path):
    assert boss.get(path).status_code == 404


@pytest.mark.parametrize(
    "next_url",
    ["/admin/users\r\nSet-Cookie: planted=1", "/admin/\nx", "/admin/\x00", "/admin/ users"],
)
def test_control_characters_in_next_give_a_safe_redirect(app, next_url):
    admin_app = with_admin(app)
    add_user(admin_app, "boss", "admin")
    client = admin_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/admin/login",
        query_string={"next": next_url},
        data={"csrf_token": token, "username": "boss", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert "planted" not in str(response.headers)
