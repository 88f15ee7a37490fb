"""Security headers on every response, without weakening the pages that set their own policy,
and the consent API's CORS allow-list (ASVS 5.0 14.5.3: no `null`, no wildcard)."""

from __future__ import annotations

import re

import pytest

from kelisim.web.app import create_app
from tests.conftest import make_settings

PATHS = [
    "/api/v1/config?site=default&lang=ru",
    "/api/v1/openapi.json",
    "/api/v1/consent/AAAAAAAAAAAAAAAAAAAAAAAA",
    "/nowhere",
    "/cmp.js",
    "/admin/login",
]


def _nonce(csp: str) -> str | None:
    match = re.search(r"'nonce-([^']+)'", csp)
    return match.group(1) if match else None


@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_a_strict_csp_nosniff_and_referrer_policy(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp or "default-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    script_src = re.search(r"script-src ([^;]*)", csp)
    if script_src:
        assert "'unsafe-inline'" not in script_src.group(1)
        assert "'unsafe-eval'" not in script_src.group(1)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_errors_and_posts_get_the_headers_too(client):
    response = client.post("/api/v1/consent", data="x", content_type="text/plain")
    assert response.status_code == 415
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_html_page_without_a_policy_of_its_own_gets_a_fresh_nonce_per_response(app):
    app.add_url_rule("/plain-page", "plain_page", lambda: "<!doctype html><p>page</p>")
    client = app.test_client()
    policies = [client.get("/plain-page").headers["Content-Security-Policy"] for _ in range(5)]
    nonces = {_nonce(csp) for csp in policies}
    assert None not in nonces and len(nonces) == 5
    assert all("'strict-dynamic'" in csp for csp in policies)


@pytest.mark.parametrize("path", ["/nowhere", "/api/v1/openapi.json", "/cmp.js"])
def test_what_is_no_html_document_gets_a_policy_that_runs_nothing(client, path):
    csp = client.get(path).headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert _nonce(csp) is None and "script-src" not in csp and "style-src" not in csp


def test_a_recorded_consent_is_answered_with_a_policy_that_runs_nothing(client, consent_body):
    response = client.post("/api/v1/consent", json=consent_body())
    assert response.status_code == 201
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'") and _nonce(csp) is None


def test_pages_with_their_own_policy_keep_it(client, consent_body):
    recorded = client.post("/api/v1/consent", json=consent_body()).get_json()
    receipt = client.get(f"/consent/{recorded['consent_id']}")
    assert receipt.status_code == 200
    # The receipt runs no script at all; the default must not add a script-src to it.
    assert "script-src" not in receipt.headers["Content-Security-Policy"]
    assert receipt.headers["Referrer-Policy"] == "no-referrer"
    admin = client.get("/admin/login")
    csp = admin.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "form-action 'self'" in csp
    assert admin.headers["Referrer-Policy"] == "same-origin"


def test_hsts_only_in_production_or_over_https(settings, client):
    assert "Strict-Transport-Security" not in client.get("/nowhere").headers
    secure = client.get("/nowhere", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    app = create_app(settings.with_changes(production=True))
    try:
        hsts = app.test_client().get("/api/v1/openapi.json").headers["Strict-Transport-Security"]
        assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 365 * 24 * 3600
        assert "includeSubDomains" in hsts
    finally:
        app.extensions["kelisim"].close()


@pytest.mark.parametrize(
    "origin, allowed",
    [
        ("http://127.0.0.1:8080", True),
        ("https://localhost:3000", True),
        ("https://evil.example", False),
        ("null", False),
        ("http://127.0.0.1.evil.example", False),
    ],
)
def test_cors_allows_only_the_sites_origins(client, consent_body, origin, allowed):
    config = client.get("/api/v1/config?site=default&lang=ru", headers={"Origin": origin})
    preflight = client.options(
        "/api/v1/consent",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    posted = client.post("/api/v1/consent", json=consent_body(), headers={"Origin": origin})
    for response in (config, preflight, posted):
        assert "Origin" in response.headers.get("Vary", "")
        assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        assert "Access-Control-Allow-Credentials" not in response.headers
    assert posted.status_code == (201 if allowed else 403)


def test_settings_have_no_rate_limit_file_any_more(tmp_path):
    assert not hasattr(make_settings("sqlite://", tmp_path), "rate_limit_path")
