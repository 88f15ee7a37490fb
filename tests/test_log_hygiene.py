"""No personal data in operational logs. The whole suite's log lines are scanned by
tests/support/log_capture.py at the end of the session; these tests make sure that scan can fail (a
leak is caught) and send the traffic that would leak: client IPs through a trusted proxy, tokens in
cookies and bodies, consent ids in URLs, CR/LF in logged fields."""

from __future__ import annotations

import logging

import pytest

from kelisim.web.app import create_app
from tests.support import log_capture

CLIENT_IP = "203.0.113.77"
CLIENT_IP6 = "2001:db8:1:2::77"


def test_the_scanner_catches_each_kind_of_leak():
    log_capture.forbid("Qm9ndXNDb25zZW50SWQxMjM0")
    assert log_capture.problems_in(f"request from {CLIENT_IP}")
    assert log_capture.problems_in(f"request from {CLIENT_IP6}")
    assert log_capture.problems_in("mail from someone@example.kz")
    assert log_capture.problems_in("consent Qm9ndXNDb25zZW50SWQxMjM0 recorded")
    assert log_capture.problems_in("two\nrecords")
    assert log_capture.problems_in(r"line one\nsomeone@example.kz")  # after an escaped newline
    # What is allowed: loopback, network prefixes, times, versions, short hashes, and the escaped
    # raw bytes a dev server logs for a TLS hello sent to its plain-HTTP port.
    assert not log_capture.problems_in(
        "127.0.0.1:8000 ::1 203.0.113.0/24 10:47:52 gunicorn 27.0.1 consent=600bef5e2f6a"
    )
    assert not log_capture.problems_in(r'"\x16\x03\x01\x07\x03\x03@B.UZ$\x06A" 400 -')


@pytest.fixture
def proxied_app(settings):
    app = create_app(settings.with_changes(trusted_proxies=1))
    yield app
    app.extensions["kelisim"].close()


def test_requests_from_real_client_addresses_leave_no_address_id_or_token_in_logs(
    proxied_app, consent_body, caplog
):
    caplog.set_level(logging.DEBUG)
    client = proxied_app.test_client()
    for ip in (CLIENT_IP, CLIENT_IP6):
        headers = {"X-Forwarded-For": ip, "User-Agent": f"Mozilla/5.0 {ip}"}
        given = client.post("/api/v1/consent", json=consent_body(), headers=headers).get_json()
        consent_id, token = given["consent_id"], given["token"]
        client.set_cookie("kelisim_consent", token)
        client.post("/api/v1/consent/verify", json={"token": token}, headers=headers)
        client.post("/api/v1/consent/verify", json={"token": token + "x"}, headers=headers)
        client.get(f"/api/v1/consent/{consent_id}", headers=headers)
        client.get(f"/consent/{consent_id}", headers=headers)
        client.post("/api/v1/consent", data="{", content_type="application/json", headers=headers)
        client.post(
            "/admin/login",
            data={"username": "someone@example.kz", "password": "x"},
            headers=headers,
        )
    text = caplog.text
    assert "consent recorded" in text  # the API did log, so the absence below means something
    for line in text.splitlines():
        assert log_capture.problems_in(line) == [], line


def test_cr_lf_in_a_logged_field_stays_on_one_line():
    """Through Kelisim's own handler (filter + formatter), as the server writes it."""
    import io

    from kelisim.web.app import configure_logging

    configure_logging()
    handler = next(
        h for h in logging.getLogger("kelisim").handlers if getattr(h, "_kelisim", False)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logging.getLogger("kelisim.test").warning(
            "field=%s", "evil\r\nINFO kelisim.web.api.consents: consent forged"
        )
    finally:
        handler.setStream(old)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "field=evil\\r\\nINFO kelisim.web.api.consents: consent forged" in lines[0]


def test_the_production_access_log_holds_no_ip_and_no_consent_id():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from kelisim.cli.production import _access_logger

    config = Config()
    config.set("accesslog", "-")
    logger = _access_logger()(config)
    records = []
    logger.access_log.handlers = []
    logger.access_log.addHandler(
        type("H", (logging.Handler,), {"emit": lambda self, r: records.append(r.getMessage())})()
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/consent/QUJDREVGR0hJSktMTU5PUFFS\r\nX",
        "REMOTE_ADDR": CLIENT_IP,
        "QUERY_STRING": "token=abc",
    }
    from datetime import timedelta

    logger.access(SimpleNamespace(status="200 OK"), None, environ, timedelta(milliseconds=3))
    assert records == ['"GET /consent/<id>\\r\\nX" 200 3.0ms']


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_leak_logged_in_any_test_process_fails_the_whole_run(tmp_path, workers):
    """scripts/test runs the suite in pytest-xdist workers: a leak logged in a worker must fail
    the run as it does in one process (a worker's own exit status never reaches the summary)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "test_inner.py").write_text(
        "import logging\n\n"
        "def test_one_that_leaks():\n"
        f"    logging.getLogger('kelisim.inner').warning('visitor from {CLIENT_IP}')\n\n"
        + "".join(f"def test_quiet_{n}():\n    pass\n\n" for n in range(4))
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}

    pytest_args = ["-p", "tests.support.log_capture", "-p", "no:cacheprovider", "-q"]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args, "-n", workers, *extra, "test_inner.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    leaked = run()
    assert leaked.returncode == 1, leaked.stdout + leaked.stderr
    assert "5 passed" in leaked.stdout, leaked.stdout  # every test passed: the log alone fails it
    assert f"LOG LEAK [log:kelisim.inner] IPv4 address {CLIENT_IP}" in leaked.stdout
    assert "1 problems" in leaked.stdout
    clean = run("-k", "quiet")  # the control: the same run without the leaking test passes
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 problems" in clean.stdout
