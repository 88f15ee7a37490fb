"""Shared fixtures: a real database (SQLite file, and PostgreSQL when a server is given), the app,
its test client, the CLI runner, and real Chromium for browser tests."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kelisim.settings import DEFAULT_CATALOGUE, Settings
from tests.support.throwaway import throwaway_settings

POSTGRES_ENV = "KELISIM_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run in CI")
    return url


# --- databases ----------------------------------------------------------------------------------
# Migrating a database and seeding it with the catalogue is most of what an app test would spend on
# setup, so the session does it once per kind of database and each test that builds the standard
# app (the `app` fixture, default catalogue, auto upgrade) starts from its own copy: on SQLite a
# copy of the file, on PostgreSQL a database created from a template. Every other test, and every
# test of migrations themselves, still gets a fresh, empty database.


def _seed(url: str) -> None:
    """Write into an empty database what the app's first start writes (kelisim.web.app)."""
    from kelisim.store import ConsentStore
    from kelisim.web.app import open_revisions

    store = ConsentStore(url)
    try:
        open_revisions(store, make_settings(url, Path()))
    finally:
        store.close()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the standard catalogue, all in the main file (no WAL left)."""
    path = tmp_path_factory.mktemp("seeded") / "kelisim.sqlite3"
    _seed(f"sqlite:///{path}")
    with closing(sqlite3.connect(path)) as conn:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "the seeded SQLite file is still in use; a copy of it would miss writes"
    return path


@pytest.fixture(scope="session")
def seeded_postgres() -> Iterator[str | None]:
    """Name of a migrated PostgreSQL database with the standard catalogue, a template for copies."""
    admin_url = _postgres_admin_url()
    if not admin_url:
        yield None
        return
    name = f"kelisim_seed_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _seed(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _standard(settings: Settings) -> bool:
    """Whether the app would write exactly what the seeded databases hold on its first start."""
    return Path(settings.catalogue_path) == DEFAULT_CATALOGUE and bool(
        settings.extra.get("auto_upgrade", True)
    )


# PostgreSQL databases created as copies of the seed, by name, until their test ends.
_seeded_postgres: set[str] = set()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each supported kind: empty, or (PostgreSQL, for a test of the app) a
    copy of the seeded one, which the `app` fixture empties again if the app is not standard."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kelisim.sqlite3'}"
        return
    admin_url = _postgres_admin_url()
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} not set")
    seed = request.getfixturevalue("seeded_postgres") if "app" in request.fixturenames else None
    name = f"kelisim_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(_create_database(name, seed)))
    if seed:
        _seeded_postgres.add(name)
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _seeded_postgres.discard(name)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _create_database(name: str, template: str | None) -> str:
    return f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")


def _start_app_database(request: pytest.FixtureRequest, settings: Settings) -> None:
    """Give the app's database the seeded content when the app is standard and the database still
    fresh; a PostgreSQL copy made for an app that turns out not to be standard is emptied again."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if _standard(settings) and url.database and not path.exists():
            shutil.copyfile(request.getfixturevalue("seeded_sqlite"), path)
        return
    if url.database in _seeded_postgres and not _standard(settings):
        _seeded_postgres.discard(url.database)
        admin = create_engine(_postgres_admin_url() or "", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
                conn.execute(text(_create_database(url.database or "", None)))
        finally:
            admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kelisim.sqlite3'}"


def make_settings(database_url: str, tmp_path: Path, **changes: object) -> Settings:
    return throwaway_settings(database_url, **changes)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings):
    from kelisim.web.app import create_app

    _start_app_database(request, settings)
    application = create_app(settings)
    application.config.update(TESTING=True)
    yield application
    services = application.extensions["kelisim"]
    services.close()
    # Connections closed here, not left for the PostgreSQL database's drop to terminate.
    services.store.close()


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


# --- tests that run alone ---
# scripts/test runs the suite in pytest-xdist workers (KELISIM_TEST_PHASE=parallel), then the tests
# marked `alone` in one process (KELISIM_TEST_PHASE=alone): a test that loads the machine to measure
# its own capacity would otherwise measure the other worker's tests too. Without the variable
# (a plain `pytest`) every test runs.
TEST_PHASE_ENV = "KELISIM_TEST_PHASE"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    phase = os.environ.get(TEST_PHASE_ENV, "")
    if not phase:
        return
    if phase not in ("parallel", "alone"):
        raise pytest.UsageError(f"{TEST_PHASE_ENV} must be 'parallel' or 'alone', not {phase!r}")
    wanted = phase == "alone"
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        alone = item.get_closest_marker("alone") is not None
        (kept if alone == wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# --- log hygiene (owned by tests/test_log_hygiene.py) ---
# Every log record the suite produces is collected and scanned for IPs, tokens and consent ids at
# the end of the session; a hit fails the run. See tests/support/log_capture.py.
pytest_plugins = ["tests.support.log_capture"]
