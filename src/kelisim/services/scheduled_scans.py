"""`kelisim scan schedule run`: scan every due schedule, store the report, notify new findings.

One pass, then exit: production runs it from a systemd timer or cron every few minutes
(docs/operations.md), so a crashed scan never takes a long-lived loop down with it, and the server
itself never starts Chromium. Each due schedule is claimed first (its next run moved on), scanned by
the real scanner in a child process (`kelisim scan TARGET --out DIR`, plus the operator's own
scanner options after `--`), and its report is stored exactly like an upload
(kelisim.services.scans, uploader `schedule:<id>`). Findings whose id the schedule's previous stored
run did not have are new; if there are any, the schedule's e-mail address and webhook hear about
them.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kelisim.services.audit import AuditLog
from kelisim.services.notify import NotifySettings, send_email, send_webhook, summary_text
from kelisim.services.scans import ScanStore, validate
from kelisim.services.schedules import Schedule, Schedules
from kelisim.settings import Settings

__all__ = ["RunResult", "ScheduledScans", "build", "subprocess_scanner"]

log = logging.getLogger(__name__)

# (exit code, report.json or None, a short reason when there is no report)
ScanResult = tuple[int, Path | None, str | None]
Scanner = Callable[[str, Path], ScanResult]
SCAN_TIMEOUT_S = 1800


@dataclass(frozen=True)
class RunResult:
    schedule_id: int
    outcome: str  # "ok" | "findings" | "error"
    scan_run_id: int | None
    findings: int
    new_findings: list[dict[str, Any]]
    notified: list[str]
    error: str | None = None


def subprocess_scanner(extra_args: Sequence[str] = (), timeout_s: int = SCAN_TIMEOUT_S) -> Scanner:
    """The real scanner in a child process: its own Chromium, its own event loop and memory."""

    def scan(target: str, out: Path) -> ScanResult:
        command = [sys.executable, "-m", "kelisim.cli.main", "scan", target, "--out", str(out)]
        command += list(extra_args)
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return 2, None, f"the scan took longer than {timeout_s} s"
        report = out / "report.json"
        if report.exists():
            return done.returncode, report, None
        reason = (done.stderr or done.stdout or "").strip().splitlines()
        return done.returncode, None, (reason[-1] if reason else "no report.json")[:300]

    return scan


class ScheduledScans:
    def __init__(
        self,
        schedules: Schedules,
        scans: ScanStore,
        notify: NotifySettings,
        scanner: Scanner,
        admin_url: str | None = None,
    ) -> None:
        self.schedules = schedules
        self.scans = scans
        self.notify = notify
        self.scanner = scanner
        self.admin_url = admin_url.rstrip("/") if admin_url else None

    def run_due(self) -> list[RunResult]:
        results = []
        for schedule in self.schedules.due():
            if self.schedules.claim(schedule):
                results.append(self.run(schedule))
        return results

    def run(self, schedule: Schedule) -> RunResult:
        run_id = self.schedules.start_run(schedule.id)
        try:
            with tempfile.TemporaryDirectory(prefix="kelisim-scan-") as tmp:
                exit_code, report_path, reason = self.scanner(schedule.target, Path(tmp))
                if report_path is None:
                    return self._failed(schedule, run_id, f"scan failed ({exit_code}): {reason}")
                raw = report_path.read_text(encoding="utf-8")
            report = json.loads(raw)
            problems = validate(report)
            if problems:
                first = problems[0]
                return self._failed(
                    schedule, run_id, f"report refused: {first['field']}: {first['message']}"
                )
            scan_run_id = self.scans.save(report, raw, f"schedule:{schedule.id}")
        except (OSError, ValueError) as error:
            return self._failed(schedule, run_id, f"{type(error).__name__}: {error}"[:300])
        previous = self.schedules.previous_scan_run(schedule.id, run_id)
        known = {f.finding_id for f in self.scans.findings(previous)} if previous else set()
        current = [f for f in report.get("findings") or [] if not f.get("waived")]
        new = [f for f in current if f.get("id") not in known]
        notified = self._notify(schedule, new, scan_run_id) if new else []
        outcome = "findings" if current else "ok"
        self.schedules.finish_run(
            run_id,
            outcome=outcome,
            scan_run_id=scan_run_id,
            findings=len(current),
            new_findings=len(new),
            notified="; ".join(notified) or None,
        )
        log.info(
            "scheduled scan %d: %d finding(s), %d new, %s",
            schedule.id,
            len(current),
            len(new),
            "; ".join(notified) or "nobody notified",
        )
        return RunResult(schedule.id, outcome, scan_run_id, len(current), new, notified)

    def _failed(self, schedule: Schedule, run_id: int, error: str) -> RunResult:
        self.schedules.finish_run(run_id, outcome="error", error=error)
        log.warning("scheduled scan %d failed: %s", schedule.id, error)
        return RunResult(schedule.id, "error", None, 0, [], [], error)

    def _notify(self, schedule: Schedule, new: list[dict[str, Any]], scan_run_id: int) -> list[str]:
        run_url = f"{self.admin_url}/admin/scans/{scan_run_id}" if self.admin_url else None
        notified = []
        if schedule.email:
            subject = f"Kelisim: {len(new)} new finding(s) on {schedule.target}"
            error = send_email(
                self.notify, schedule.email, subject, summary_text(schedule.target, new, run_url)
            )
            notified.append(error or "e-mail sent")
        if schedule.webhook_url:
            payload = {
                "event": "scan.new_findings",
                "schedule": schedule.id,
                "target": schedule.target,
                "scan_run": scan_run_id,
                "run_url": run_url,
                "new_findings": [
                    {key: finding.get(key) for key in ("id", "rule", "severity", "state",
                                                       "vendor", "page", "message")}
                    for finding in new
                ],
            }  # fmt: skip
            error = send_webhook(self.notify, schedule.webhook_url, payload)
            notified.append(error or "webhook sent")
        return notified


def build(settings: Settings, scanner: Scanner, notify: NotifySettings) -> ScheduledScans:
    from kelisim.store import ConsentStore

    store = ConsentStore(settings.database_url)
    store.upgrade()
    audit = AuditLog(store.write_engine)
    return ScheduledScans(
        Schedules(store.engine, store.write_engine),
        ScanStore(store.engine, store.write_engine, audit),
        notify,
        scanner,
        admin_url=None,
    )
