"""The embedded cookie declaration on a page of another origin under a strict nonce CSP: the script
variant renders the live catalogue and the latest scan, styled through its nonce, and the iframe
variant shows the same, with no CSP violation in either."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kelisim.services.audit import AuditLog
from kelisim.services.scans import ScanStore
from tests.support.banner_site import CATALOGUE, Kelisim, serve, start_kelisim

pytestmark = pytest.mark.browser

NONCE = "lenderPageNonce" + "0" * 9
SCAN = {
    "schema": "kelisim-scan/1",
    "started_at": "2026-11-30T10:00:00Z",
    "finished_at": "2026-11-30T10:05:00Z",
    "target": {"urls": ["https://creditplus.kz/"]},
    "catalogue": {"revision": 1, "hash": "sha256:abc"},
    "summary": {"exit_code": 1},
    "findings": [],
    "declaration": [
        {"name": "_ym_uid", "type": "cookie", "vendor": "yandex_metrika", "domain": "creditplus.kz",
         "lifetime_seconds": 31536000},
        {"name": "zz_unlisted_metrika", "type": "cookie", "vendor": "yandex_metrika",
         "domain": "creditplus.kz", "lifetime_seconds": 86400},
        {"name": "PHPSESSID", "type": "cookie", "vendor": None, "domain": "creditplus.kz",
         "lifetime_seconds": None},
    ],
    "observations": [],
}  # fmt: skip


@pytest.fixture(scope="module")
def cmp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kelisim]:
    tmp: Path = tmp_path_factory.mktemp("declaration")
    server = start_kelisim(f"sqlite:///{tmp / 'k.sqlite3'}", CATALOGUE, secrets.token_urlsafe(32))
    store = server.store
    ScanStore(store.engine, store.write_engine, AuditLog(store.write_engine)).save(
        SCAN, json.dumps(SCAN), "scanner:test"
    )
    yield server
    server.server.shutdown()
    server.app.extensions["kelisim"].close()


def _lender_site(cmp_base: str, violations: list[dict[str, Any]]):
    """The lender's privacy page on 127.0.0.1 (the CMP is on localhost: another origin)."""
    csp = (
        f"default-src 'none'; script-src 'nonce-{NONCE}'; style-src 'nonce-{NONCE}'; "
        f"frame-src {cmp_base}; img-src 'none'; base-uri 'none'; report-uri /csp"
    )
    pages = {
        "/privacy/ru": (
            f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Политика</title>'
            f'<script nonce="{NONCE}" src="{cmp_base}/embed/declaration.js'
            f'?site=default&amp;lang=ru"'
            f" async></script></head><body><h1>Политика конфиденциальности</h1>"
            f'<div id="kelisim-declaration"></div></body></html>'
        ),
        "/privacy/iframe": (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Policy</title>'
            f"</head><body><h1>Privacy policy</h1>"
            f'<iframe id="decl" title="Cookies" src="{cmp_base}/embed/declaration?site=default'
            f'&amp;lang=en"></iframe></body></html>'
        ),
    }

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/csp":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            violations.append(json.loads(environ["wsgi.input"].read(size) or b"{}"))
            start_response("204 No Content", [])
            return [b""]
        if path not in pages:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no"]
        start_response(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy", csp)],
        )
        return [pages[path].encode()]

    return app


@pytest.fixture(scope="module")
def lender(cmp_server: Kelisim) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    violations: list[dict[str, Any]] = []
    server, port = serve(_lender_site(cmp_server.base, violations))
    yield f"http://127.0.0.1:{port}", violations
    server.shutdown()


@pytest.fixture(scope="module")
def browser(banner_playwright):
    from kelisim.scanner.browser import launch

    # other-lender.example: a page on an origin the catalogue does not list, served on loopback.
    chromium = launch(
        banner_playwright, extra_args=["--host-resolver-rules=MAP other-lender.example 127.0.0.1"]
    )
    yield chromium
    chromium.close()


def _open(browser, url: str):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(url)
    return context, page, errors


def test_the_script_renders_the_live_declaration_under_a_strict_csp(browser, lender) -> None:
    base, violations = lender
    context, page, errors = _open(browser, f"{base}/privacy/ru")
    try:
        metrika = page.locator('.kelisim-declaration tr[data-vendor="yandex_metrika"]')
        metrika.wait_for(timeout=20_000)
        cells = metrika.locator("td").all_inner_texts()
        assert cells[0] == "Яндекс Метрика (Yandex Metrica)"
        assert cells[1] == "Yandex LLC" and cells[2] == "RU" and cells[3] == "да"
        assert cells[4] == "Аналитика"
        assert "_ym_uid — cookie" in cells[5] and "365 дн." in cells[5]
        # The latest scan saw a Metrika cookie the catalogue does not declare: it is listed.
        undeclared = metrika.locator('li[data-cookie="zz_unlisted_metrika"]')
        assert "ещё не описан" in undeclared.inner_text()
        assert page.locator(".kelisim-declaration tbody tr").count() == 14
        assert page.locator('li[data-cookie="PHPSESSID"]').count() == 1
        assert "2026-11-30" in page.locator(".kelisim-declaration .k-meta").inner_text()
        # The stylesheet came in through the script's nonce (no inline style was needed).
        collapse = page.eval_on_selector(
            ".kelisim-declaration table", "t => getComputedStyle(t).borderCollapse"
        )
        assert collapse == "collapse"
        assert page.evaluate("window.__violations") == []
        assert not errors, errors
    finally:
        context.close()
    assert violations == []


def test_the_iframe_variant_shows_the_same_declaration(browser, lender) -> None:
    base, violations = lender
    context, page, errors = _open(browser, f"{base}/privacy/iframe")
    try:
        frame = page.frame_locator("#decl")
        row = frame.locator('tr[data-vendor="yandex_metrika"]')
        row.wait_for(timeout=20_000)
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == "Yandex LLC" and cells[3] == "yes"
        assert "365 days" in cells[5]
        assert frame.locator("tbody tr").count() == 14
        assert page.evaluate("window.__violations") == []
        assert not errors, errors
    finally:
        context.close()
    assert violations == []


def test_a_page_of_another_site_cannot_frame_it(browser, cmp_server) -> None:
    """frame-ancestors lists the site's origins only: a page on an unknown origin gets nothing."""
    violations: list[dict[str, Any]] = []
    app = _lender_site(cmp_server.base, violations)
    server, port = serve(app)
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://other-lender.example:{port}/privacy/iframe")
        page.wait_for_timeout(1500)
        frame = page.frame_locator("#decl")
        assert frame.locator("tbody tr").count() == 0
        context.close()
    finally:
        server.shutdown()
