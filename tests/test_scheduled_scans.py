"""Scheduled scans: scheduled from the admin, run by the runner with the real scanner against the
demo, stored like an upload, and new findings notified to a real SMTP server (aiosmtpd) and a
webhook receiver, both on loopback; a run with nothing new notifies nobody; the trend is shown."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from kelisim.services.audit import AuditLog
from kelisim.services.notify import NotifySettings
from kelisim.services.scans import ScanStore
from kelisim.services.scheduled_scans import ScheduledScans, subprocess_scanner
from kelisim.services.schedules import Schedules
from kelisim.settings import DEFAULT_CATALOGUE
from kelisim.store.integration_tables import scan_schedules
from tests.support.admin import add_user, csrf_token, login

WEBHOOK_SECRET = "webhook-secret-for-tests"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    # The sink stands in for the operator's mail server, whose envelope log ("mail.log") names
    # sender and recipients by design; it is not a Kelisim log, so the hygiene scan must not see it.
    sink_log = logging.getLogger("mail.log")
    previous_level = sink_log.level
    sink_log.setLevel(logging.WARNING)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
        sink_log.setLevel(previous_level)


@pytest.fixture
def webhook() -> Iterator[tuple[list[tuple[dict, bytes]], str]]:
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield received, f"http://127.0.0.1:{server.server_port}/kelisim-hook"
    server.shutdown()


def _runner(app, smtp_port: int, scanner) -> ScheduledScans:
    store = app.extensions["kelisim"].store
    return ScheduledScans(
        Schedules(store.engine, store.write_engine),
        ScanStore(store.engine, store.write_engine, AuditLog(store.write_engine)),
        NotifySettings(
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_from="kelisim@creditplus.kz",
            webhook_secret=WEBHOOK_SECRET,
        ),
        scanner,
        admin_url="https://cmp.creditplus.kz",
    )


def _schedule_in_admin(app, target: str, email: str, webhook_url: str) -> None:
    add_user(app, "editor1", "editor")
    staff = app.test_client()
    login(staff, "editor1")
    token = csrf_token(staff, "/admin/scans/schedules")
    response = staff.post(
        "/admin/scans/schedules",
        data={
            "csrf_token": token,
            "target": target,
            "interval_hours": "24",
            "email": email,
            "webhook_url": webhook_url,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _make_due(app) -> None:
    with app.extensions["kelisim"].store.write_engine.begin() as conn:
        conn.execute(update(scan_schedules).values(next_run_at=datetime.now(UTC) - timedelta(1)))


def _demo_scanner_args(demo) -> list[str]:
    resolve = [
        a for host, target in demo.host_map.items() for a in ("--resolve", f"MAP {host} {target}")
    ]
    return ["--catalogue", str(DEFAULT_CATALOGUE), "--quiet",
            "--ca-cert", str(demo.ca_cert_path), "--no-sitemap", *resolve,
            "--pages", "1", "--depth", "0", "--states", "none,accept"]  # fmt: skip


@pytest.mark.browser
def test_a_scheduled_scan_of_the_demo_notifies_new_findings(
    app, demo, smtp_sink, webhook, sqlite_url, tmp_path: Path
) -> None:
    inbox, smtp_port = smtp_sink
    hooks, hook_url = webhook
    target = demo.unsafe_url + "/ru/"
    _schedule_in_admin(app, target, "privacy@creditplus.kz", hook_url)

    kept: dict[str, Path] = {}
    real_scan = subprocess_scanner(_demo_scanner_args(demo))

    def scan_and_keep(url: str, out: Path):
        result = real_scan(url, out)
        if result[1] is not None:
            kept["report"] = tmp_path / "report.json"
            shutil.copy(result[1], kept["report"])
        return result

    runner = _runner(app, smtp_port, scan_and_keep)
    [result] = runner.run_due()
    assert result.error is None and result.outcome == "findings"
    assert result.findings > 0 and len(result.new_findings) == result.findings
    assert result.notified == ["e-mail sent", "webhook sent"]

    # The e-mail, as the SMTP server received it.
    [(sender, recipients, raw)] = inbox.messages
    message = message_from_bytes(raw)
    assert sender == "kelisim@creditplus.kz" and recipients == ["privacy@creditplus.kz"]
    assert f"{result.findings} new finding(s) on {target}" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    first = result.new_findings[0]
    assert f"- {first['rule']} [{first['severity']}]" in body
    assert f"https://cmp.creditplus.kz/admin/scans/{result.scan_run_id}" in body

    # The webhook: JSON, signed.
    [(headers, payload)] = hooks
    signature = hmac.new(WEBHOOK_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    assert headers["X-Kelisim-Signature"] == f"sha256={signature}"
    sent = json.loads(payload)
    assert sent["event"] == "scan.new_findings" and sent["target"] == target
    assert {f["id"] for f in sent["new_findings"]} == {f["id"] for f in result.new_findings}

    # Stored like an upload: the Scans page lists the run.
    store = app.extensions["kelisim"].store
    scans = ScanStore(store.engine, store.write_engine, AuditLog(store.write_engine))
    assert scans.run(result.scan_run_id).findings == result.findings
    # The report says which GTM tags fired per state (kelisim.scanner.gtm_tags; the demo's container
    # finds Metrika already on the page and inserts nothing, so the lists are empty here).
    report = json.loads(kept["report"].read_text())
    assert set(report["gtm_tags"]) == {"none", "accept"}

    # Nothing is due now; made due again with the same findings, nobody is told again.
    assert runner.run_due() == []
    _make_due(app)
    same = _runner(app, smtp_port, lambda url, out: (1, kept["report"], None)).run_due()
    assert same[0].new_findings == [] and same[0].notified == []
    assert len(inbox.messages) == 1 and len(hooks) == 1

    # One new finding: only it is notified.
    extra = json.loads(kept["report"].read_text())
    extra["findings"].append({**extra["findings"][0], "id": "brand-new-finding-id",
                              "message": "a new tracker appeared"})  # fmt: skip
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(extra))
    _make_due(app)
    [third] = _runner(app, smtp_port, lambda url, out: (1, changed, None)).run_due()
    assert [f["id"] for f in third.new_findings] == ["brand-new-finding-id"]
    assert len(inbox.messages) == 2 and "a new tracker appeared" in inbox.messages[1][2].decode()

    # The trend between scans, in the admin.
    viewer = app.test_client()
    add_user(app, "viewer1", "viewer")
    login(viewer, "viewer1")
    page = viewer.get("/admin/scans/schedules").get_data(as_text=True)
    assert page.count('data-outcome="findings"') == 3
    assert '<td class="change">+1</td>' in page and '<td class="change">0</td>' in page


def test_a_failed_scan_is_recorded_and_notifies_nobody(app, smtp_sink) -> None:
    inbox, smtp_port = smtp_sink
    _schedule_in_admin(app, "https://creditplus.kz/", "privacy@creditplus.kz", "")
    failing = _runner(app, smtp_port, lambda url, out: (2, None, "net::ERR_NAME_NOT_RESOLVED"))
    [result] = failing.run_due()
    assert result.outcome == "error" and "ERR_NAME_NOT_RESOLVED" in result.error
    assert inbox.messages == []


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"target": "ftp://creditplus.kz/"}, "target"),
        ({"interval_hours": "0"}, "interval_hours"),
        ({"email": "not-an-address", "webhook_url": ""}, "email"),
        ({"email": "", "webhook_url": ""}, "email"),
        ({"webhook_url": "javascript:alert(1)"}, "webhook_url"),
    ],
)
def test_bad_schedules_are_refused_in_the_admin(app, fields, field) -> None:
    add_user(app, "editor2", "editor")
    staff = app.test_client()
    login(staff, "editor2")
    data = {
        "csrf_token": csrf_token(staff, "/admin/scans/schedules"),
        "target": "https://creditplus.kz/",
        "interval_hours": "24",
        "email": "privacy@creditplus.kz",
        "webhook_url": "",
        **fields,
    }
    response = staff.post("/admin/scans/schedules", data=data)
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)
    assert Schedules(app.extensions["kelisim"].store.engine, None).all() == []  # type: ignore[arg-type]


def test_viewers_see_schedules_but_cannot_add_them(app) -> None:
    add_user(app, "viewer2", "viewer")
    staff = app.test_client()
    login(staff, "viewer2")
    page = staff.get("/admin/scans/schedules")
    assert page.status_code == 200 and 'id="schedule-form"' not in page.get_data(as_text=True)
    token = csrf_token(staff, "/admin/scans")
    response = staff.post(
        "/admin/scans/schedules",
        data={"csrf_token": token, "target": "https://creditplus.kz/", "interval_hours": "1"},
    )
    assert response.status_code == 403


def test_the_cli_runs_what_is_due(app, capsys, monkeypatch, tmp_path: Path) -> None:
    from kelisim.cli.main import main

    settings = app.extensions["kelisim"].settings
    monkeypatch.setenv("KELISIM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    assert main(["scan", "schedule", "run"]) == 0
    assert "no scheduled scan is due" in capsys.readouterr().out


def test_an_editor_disables_and_removes_a_schedule(app) -> None:
    _schedule_in_admin(app, "https://creditplus.kz/", "privacy@creditplus.kz", "")
    staff = app.test_client()
    login(staff, "editor1")
    [schedule] = Schedules(app.extensions["kelisim"].store.engine, None).all()  # type: ignore[arg-type]
    token = csrf_token(staff, "/admin/scans/schedules")
    base = f"/admin/scans/schedules/{schedule.id}"
    assert staff.post(f"{base}/disable", data={"csrf_token": token}).status_code == 303
    assert Schedules(app.extensions["kelisim"].store.engine, None).due() == []  # type: ignore[arg-type]
    assert staff.post(f"{base}/explode", data={"csrf_token": token}).status_code == 400
    assert staff.post(f"{base}/remove", data={"csrf_token": token}).status_code == 303
    assert staff.post(f"{base}/remove", data={"csrf_token": token}).status_code == 404
