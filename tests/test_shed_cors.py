"""The worker's prebuilt 503 (load shedding) carries CORS headers like every other API answer,
so a cross-origin banner can read it and retry after Retry-After."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.support.crash import Server, consent_body, production_env


def _post(port: int, origin: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/api/v1/consent",
        json.dumps(consent_body("shed-cors-1")),
        {"Content-Type": "application/json", "Origin": origin},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.mark.slow
def test_the_prebuilt_503_is_readable_by_the_sites_origins_only(tmp_path):
    # A budget of 0 ms: every consent POST is shed by the worker itself, before Flask.
    env = production_env(
        f"sqlite:///{tmp_path / 'kelisim.sqlite3'}",
        tmp_path / "var",
        KELISIM_ADMISSION_WAIT_MS="0",
        KELISIM_MAX_IN_FLIGHT="1",
        KELISIM_METRICS_TOKEN="m" * 40,
    )
    server = Server(env, tmp_path / "server.log").start()
    try:
        allowed = _post(server.port, "http://127.0.0.1:8080")
        foreign = _post(server.port, "https://evil.example")
        # Both workers' samples add up in one scrape (prometheus_client multiprocess mode).
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + "m" * 40})
        scraped = conn.getresponse().read().decode()
        conn.close()
    finally:
        server.stop()
    for response in (allowed, foreign):
        assert response.status == 503
        assert response.getheader("Retry-After") == "1"
        assert "Origin" in (response.getheader("Vary") or "")
    assert allowed.getheader("Access-Control-Allow-Origin") == "http://127.0.0.1:8080"
    assert foreign.getheader("Access-Control-Allow-Origin") is None
    assert 'kelisim_shed_total{where="worker"} 2.0' in scraped, scraped[-1500:]
