"""Scanner uploads (POST /api/v1/scans) with a bearer token, and the admin pages that read them."""

from __future__ import annotations

import json

import pytest

from kelisim.web.app import create_app
from tests.support.admin import add_user, login

TOKEN = "scan-token-for-tests-0123456789"


@pytest.fixture
def scan_app(settings):
    application = create_app(settings.with_changes(scan_upload_tokens=("other-token", TOKEN)))
    application.config.update(TESTING=True)
    yield application
    application.extensions["kelisim"].close()


def _report(**changes) -> dict:
    report = {
        "schema": "kelisim-scan/1",
        "started_at": "2026-11-24T10:00:00Z",
        "finished_at": "2026-11-24T10:05:00Z",
        "target": {"urls": ["https://creditplus.kz/"]},
        "catalogue": {"revision": 1, "hash": "sha256:abc"},
        "summary": {"exit_code": 1, "failing": {"high": 1}},
        "findings": [
            {"id": "f1", "rule": "V02", "severity": "high", "state": "before_consent",
             "vendor": "yandex_metrika", "artefact": "mc.yandex.ru",
             "message": "beacon before consent",
             "page": "https://creditplus.kz/", "evidence": {"url": "https://mc.yandex.ru/watch"}},
            {"id": "f2", "rule": "V06", "severity": "medium", "state": "after_reject",
             "vendor": None, "artefact": "_foo", "message": "undeclared cookie", "evidence": {}},
        ],
        "declaration": [{"name": "_ym_uid", "type": "cookie", "vendor": "yandex_metrika",
                         "vendor_name": "Yandex.Metrika", "party": "first",
                         "lifetime": "365 days"}],
        "observations": [],
    }  # fmt: skip
    report.update(changes)
    return report


def _upload(client, body, token=TOKEN, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post("/api/v1/scans", data=data, headers=headers, content_type=content_type)


def test_upload_needs_a_valid_token(scan_app):
    client = scan_app.test_client()
    for token in (None, "wrong", TOKEN + "x"):
        response = _upload(client, _report(), token=token)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_malformed_oversized_and_wrong_type_uploads_are_4xx(scan_app):
    client = scan_app.test_client()
    assert _upload(client, b"{not json").status_code == 400
    bad = _upload(client, _report(schema="other/1", findings=[{"id": 1}]))
    assert bad.status_code == 400
    fields = {e["field"] for e in bad.get_json()["errors"]}
    assert {"schema", "findings[0].id", "findings[0].rule"} <= fields
    assert _upload(client, _report(), content_type="text/plain").status_code == 415
    big = b'{"schema": "kelisim-scan/1", "findings": [], "pad": "' + b"x" * (21 * 1024 * 1024)
    assert _upload(client, big + b'"}').status_code == 413
    # Bigger than the consent API's 16 KiB limit is fine here.
    padded = _report(observations=[{"kind": "cookie", "pad": "y" * 1000} for _ in range(100)])
    assert _upload(client, padded).status_code == 201


def test_uploaded_runs_are_listed_with_findings_and_the_declaration(scan_app):
    client = scan_app.test_client()
    response = _upload(client, _report())
    assert response.status_code == 201
    run_id = response.get_json()["id"]
    add_user(scan_app, "marketer", "viewer")
    staff = scan_app.test_client()
    login(staff, "marketer")
    listing = staff.get("/admin/scans").get_data(as_text=True)
    assert "https://creditplus.kz/" in listing and f"/admin/scans/{run_id}" in listing
    page = staff.get(f"/admin/scans/{run_id}").get_data(as_text=True)
    assert "beacon before consent" in page and "undeclared cookie" in page
    assert "_ym_uid" in page and "365 days" in page
    only_high = staff.get(f"/admin/scans/{run_id}?severity=high").get_data(as_text=True)
    assert "beacon before consent" in only_high and "undeclared cookie" not in only_high
    no_vendor = staff.get(f"/admin/scans/{run_id}?vendor=-").get_data(as_text=True)
    assert "undeclared cookie" in no_vendor and "beacon before consent" not in no_vendor
    assert staff.get("/admin/scans/999").status_code == 404
    assert staff.get("/admin/scans/abc").status_code == 404


def test_a_report_of_millions_of_tiny_values_is_refused_while_read_not_parsed(scan_app):
    """20 MB of `{},` used to take a worker from ~90 MB to ~660 MB; now it is refused early."""
    import tracemalloc

    client = scan_app.test_client()
    flood = b'{"schema": "kelisim-scan/1", "findings": [], "observations": ['
    flood += b"{}," * (6 * 1024 * 1024) + b"{}]}"
    assert len(flood) < 20 * 1024 * 1024
    tracemalloc.start()
    try:
        refused = _upload(client, flood)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.status_code == 413
    assert "JSON values" in refused.get_json()["detail"]
    # The body itself is ~18 MB and the test client keeps a copy; nothing was parsed.
    assert peak < 80 * 1024 * 1024


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"catalogue": {"revision": 2**63}}, "catalogue.revision"),
        ({"catalogue": {"revision": 10**40}}, "catalogue.revision"),
        ({"summary": {"exit_code": 2**31}}, "summary.exit_code"),
    ],
)
def test_numbers_too_big_for_the_database_are_a_400(scan_app, changes, field):
    refused = _upload(scan_app.test_client(), _report(**changes))
    assert refused.status_code == 400
    assert field in {e["field"] for e in refused.get_json()["errors"]}


def test_an_oversized_run_id_is_a_404(scan_app):
    from tests.support.admin import add_user, login, with_admin

    with_admin(scan_app)
    add_user(scan_app, "boss", "admin")
    client = scan_app.test_client()
    login(client, "boss")
    assert client.get("/admin/scans/99999999999").status_code == 404
