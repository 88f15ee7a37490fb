"""Fixtures for the banner's browser tests: one Kelisim app (and one with the next revision of the
catalogue), the test site, the fake vendor host, and one Chromium that resolves every vendor
hostname of the catalogue to the fake host. Each test gets a fresh browser context (`visit`)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kelisim.domain.catalogue import load as load_catalogue
from tests.support.banner_site import (
    CATALOGUE,
    Kelisim,
    RequestLog,
    Site,
    Visit,
    new_visit,
    serve,
    site_app,
    start_kelisim,
    vendor_app,
)

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("banner")


@pytest.fixture(scope="session")
def token_key() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def kelisim(browser_tmp: Path, token_key: str) -> Iterator[Kelisim]:
    server = start_kelisim(f"sqlite:///{browser_tmp / 'kelisim.sqlite3'}", CATALOGUE, token_key)
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


@pytest.fixture(scope="session")
def kelisim_next_revision(browser_tmp: Path, token_key: str) -> Iterator[Kelisim]:
    """The same log and keys with the catalogue's revision bumped: every visitor is asked again."""
    text = CATALOGUE.read_text(encoding="utf-8")
    bumped = text.replace("\nrevision: 1 ", "\nrevision: 2 ", 1)
    assert bumped != text, "vendors.yaml no longer starts with 'revision: 1'"
    path = browser_tmp / "vendors-next.yaml"
    path.write_text(bumped, encoding="utf-8")
    server = start_kelisim(f"sqlite:///{browser_tmp / 'kelisim.sqlite3'}", path, token_key)
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


@pytest.fixture(scope="session")
def vendor_log() -> RequestLog:
    return RequestLog()


@pytest.fixture(scope="session")
def vendor_port(vendor_log: RequestLog) -> Iterator[int]:
    server, port = serve(vendor_app(vendor_log))
    yield port
    server.shutdown()


@pytest.fixture(scope="session")
def site(vendor_log: RequestLog) -> Iterator[Site]:
    reports: list[dict[str, Any]] = []
    server, port = serve(site_app(vendor_log, reports))
    yield Site(base=f"http://127.0.0.1:{port}", log=vendor_log, csp_reports=reports)
    server.shutdown()


@pytest.fixture(scope="session")
def catalogue() -> Any:
    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="session")
def texts(catalogue: Any) -> dict[str, str]:
    """The banner's Russian texts (the test site is in Russian)."""
    return dict(catalogue.texts["ru"])


@pytest.fixture(scope="session")
def vendor_hosts(catalogue: Any) -> tuple[str, ...]:
    return tuple(sorted({host for vendor in catalogue.vendors for host in vendor.hosts}))


@pytest.fixture(scope="module")
def banner_playwright(playwright_instance) -> Any:
    """The session's Playwright. A second sync Playwright cannot start in a thread while one is
    running, and under pytest-xdist any test file of the suite may have started the session's
    first on this worker; the scanner runs its async Playwright in a thread of its own
    (kelisim.scanner.cli.run_coroutine), so one session-long instance serves every test."""
    return playwright_instance


@pytest.fixture(scope="module")
def gated_browser(banner_playwright, vendor_port: int, vendor_hosts: tuple[str, ...]):
    """Chromium with every vendor hostname of the catalogue resolved to the fake vendor host."""
    from kelisim.scanner.browser import launch, resolver_rules

    rules = resolver_rules({host: f"127.0.0.1:{vendor_port}" for host in vendor_hosts})
    # The fake hosts speak plain HTTP: keep Chromium from upgrading iframe navigations to HTTPS (the
    # last --disable-features wins, so it repeats the one kelisim.scanner.browser sets).
    extra = [f"--host-resolver-rules={rules}", "--disable-features=RenderDocument,HttpsUpgrades"]
    browser = launch(banner_playwright, extra_args=extra)
    yield browser
    browser.close()


@pytest.fixture
def visit(
    gated_browser, site: Site, kelisim: Kelisim, vendor_hosts: tuple[str, ...]
) -> Iterator[Visit]:
    site.log.clear()
    site.csp_reports.clear()
    opened = new_visit(gated_browser, site, kelisim, vendor_hosts)
    yield opened
    opened.context.close()
