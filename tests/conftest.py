"""Shared fixtures: a real database (SQLite file, and PostgreSQL when a server is given), the app,
its test client, the CLI runner, and real Chromium for browser tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kelisim.settings import DEFAULT_CATALOGUE, Settings

POSTGRES_ENV = "KELISIM_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run in CI")
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kelisim.sqlite3'}"
        return
    admin_url = _postgres_admin_url()
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} not set")
    name = f"kelisim_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kelisim.sqlite3'}"


def make_settings(database_url: str, tmp_path: Path, **changes: object) -> Settings:
    settings = Settings(
        database_url=database_url,
        catalogue_path=DEFAULT_CATALOGUE,
        token_keys=(secrets.token_urlsafe(32),),
        secret_key=secrets.token_urlsafe(32),
        ip_pepper=secrets.token_urlsafe(32),
    )
    return settings.with_changes(**changes) if changes else settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings):
    from kelisim.web.app import create_app

    application = create_app(settings)
    application.config.update(TESTING=True)
    yield application
    application.extensions["kelisim"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_instance):
    """One real Chromium for the session; each test opens its own context."""
    from kelisim.scanner.browser import launch

    browser = launch(playwright_instance)
    yield browser
    browser.close()


# --- API, receipt and CLI tests -----------------------------------------------------------------


@pytest.fixture
def consent_event_count(database_url: str) -> Iterator:
    """How many consent events the database holds: proof that a refused request wrote nothing."""
    engine = create_engine(database_url)

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM consent_events")).scalar_one()

    yield count
    engine.dispose()


@pytest.fixture
def consent_body(app):
    """A valid POST /api/v1/consent body for the app's catalogue; keyword arguments override."""

    def build(**changes: object) -> dict:
        catalogue = app.extensions["kelisim"].catalogue
        body = {
            "site": "default",
            "revision": catalogue.revision,
            "language": "ru",
            "action": "accept_all",
            "event_id": secrets.token_urlsafe(12),
            "gpc": False,
            "page": "https://creditplus.kz/",
        }
        body.update(changes)
        return {key: value for key, value in body.items() if value is not ...}

    return build


# --- demo fixtures ---
# Owned by the demo (src/kelisim/demo/, tests/test_demo.py). Other tests reuse them: `demo` is the
# running demo (a kelisim.demo.run.DemoHandle), `demo_browser` a Chromium that reaches its fake
# vendor hosts under the real hostnames. Open a new context per test and call demo.clear_requests()
# before you look.


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo (Kelisim server, demo site, fake vendor hosts) on free ports, once per session."""
    from kelisim.demo.run import start_demo

    handle = start_demo(state_dir=tmp_path_factory.mktemp("demo"))
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def demo_browser(playwright_instance, demo):
    """Chromium launched with the demo's host mapping and CA trust (see docs/demo.md)."""
    from kelisim.scanner.browser import launch

    browser = launch(playwright_instance, extra_args=demo.chromium_args)
    yield browser
    browser.close()


# --- log hygiene (owned by tests/test_log_hygiene.py) ---
# Every log record the suite produces is collected and scanned for IPs, tokens and consent ids at
# the end of the session; a hit fails the run. See tests/support/log_capture.py.
pytest_plugins = ["tests.support.log_capture"]
