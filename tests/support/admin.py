"""What the admin tests share: the blueprint, staff accounts, forms and a clock to move."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask

from kelisim.web.admin import bp as admin_bp
from kelisim.web.admin.shell import CLOCK_CONFIG, services

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ERROR = re.compile(r'<div class="alert error" role="alert"[^>]*>([^<]*)</div>')


def with_admin(app: Flask) -> Flask:
    """The app with the admin UI, whether or not create_app registers it yet."""
    if "admin" not in app.blueprints:
        app.register_blueprint(admin_bp)
    return app


def add_user(app: Flask, username: str, role: str = "admin", password: str = PASSWORD):
    return services(app).accounts.create_user(username, password, role, actor="test")


def csrf_token(client, path: str = "/admin/login") -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, **extra):
    token = csrf_token(client)
    return client.post(
        "/admin/login",
        data={"csrf_token": token, "username": username, "password": password},
        **extra,
    )


def error_text(response) -> str | None:
    match = _ERROR.search(response.get_data(as_text=True))
    return match.group(1).strip() if match else None


class Clock:
    """A clock the test moves by hand; installed on every app given."""

    def __init__(self, *apps: Flask) -> None:
        self.now = datetime.now(UTC)
        for app in apps:
            app.config[CLOCK_CONFIG] = self

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
