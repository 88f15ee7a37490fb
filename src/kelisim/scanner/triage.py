"""After the rules: waivers, the baseline, and the exit code.

A waiver names a finding id and a reason (and may expire); a waived finding stays in the report,
marked, and no longer fails the build. With a baseline report, only findings whose id the baseline
lacks are "new", and only new findings fail the build, so a team can adopt the scanner on a site
that is not clean yet.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kelisim.commands import ExitCode
from kelisim.scanner.config import ConfigError, Waiver
from kelisim.scanner.model import Finding

# The scan's names for the codes of the one table (kelisim.commands), which every verb shares.
EXIT_CLEAN, EXIT_FINDINGS = ExitCode.OK, ExitCode.FAILED
EXIT_USAGE, EXIT_UNREACHABLE = ExitCode.ERROR, ExitCode.UNREACHABLE

FAIL_LEVELS = {"error": ("error",), "warning": ("error", "warning")}


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: dt.date) -> list[str]:
    """Mark waived findings; returns the ids of waivers that matched nothing (worth a warning)."""
    active = {w.finding_id: w for w in waivers if w.active(today)}
    for finding in findings:
        waiver = active.get(finding.id)
        if waiver is not None:
            finding.waived = waiver.reason
    used = {f.id for f in findings}
    return [w.finding_id for w in waivers if w.finding_id not in used]


def baseline_ids(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--baseline {path}: cannot read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--baseline {path}: not JSON ({exc})") from exc
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("kelisim-scan/"):
        raise ConfigError(f"--baseline {path}: not a Kelisim scan report")
    return {f["id"] for f in data.get("findings", []) if isinstance(f, dict) and "id" in f}


def apply_baseline(findings: list[Finding], known: set[str]) -> None:
    for finding in findings:
        finding.new = finding.id not in known


def failing(findings: list[Finding], fail_on: str) -> list[Finding]:
    levels = FAIL_LEVELS[fail_on]
    return [f for f in findings if f.severity in levels and f.new and not f.waived]


def exit_code(findings: list[Finding], fail_on: str, unreachable: bool) -> int:
    if unreachable:
        return EXIT_UNREACHABLE
    return EXIT_FINDINGS if failing(findings, fail_on) else EXIT_CLEAN
