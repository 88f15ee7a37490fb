"""report.json, schema "kelisim-scan/1": the contract CI, the baseline and the admin UI read.

Additions keep the schema number; renaming or removing a field bumps it. Screenshots stay out of
the JSON (they live in report.html), and cookie values are never stored, only short hashes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kelisim.scanner import gtm_tags
from kelisim.scanner.cluster import BASE_STATES
from kelisim.scanner.model import Finding, Observation, Visit
from kelisim.scanner.rules import RULES

SCHEMA = "kelisim-scan/1"


def build(
    *,
    run: Any,
    config: Any,
    catalogue: Any,
    findings: list[Finding],
    declaration: list[dict[str, Any]],
    exit_code: int,
    fail_on: str,
) -> dict[str, Any]:
    observations: list[Observation] = [o for v in run.visits for o in v.observations]
    counts: dict[str, int] = {}
    for f in findings:
        if not f.waived and f.new:
            counts[f.severity] = counts.get(f.severity, 0) + 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "kelisim scan", "version": _version()},
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "target": {
            "urls": list(config.urls),
            "pages": run.pages,
            "states": run.states,
            "unreachable": run.unreachable,
            "policy_url": config.policy_url,
            "shard": run.environment.get("shard"),
        },
        # The policy page as read (--policy-url), so `kelisim scan merge` can judge V14 again.
        "policy": run.policy,
        "environment": run.environment,
        # Which consent manager each choice state met and how it was set (kelisim.scanner.states).
        "consent": consent_summary(run.visits),
        "catalogue": {
            "source": str(getattr(catalogue, "source", "")),
            "revision": getattr(catalogue, "revision", None),
            "hash": getattr(catalogue, "content_hash", None),
        },
        "summary": {
            "visits": len(run.visits),
            "visits_failed": sum(1 for v in run.visits if not v.ok),
            "visits_unsettled": sum(1 for v in run.visits if not v.settled),
            # Page-state pairs not visited because the page was clustered (not clean visits).
            "visits_skipped": skipped_count(run),
            "observations": len(observations),
            "requests": sum(1 for o in observations if o.kind == "request"),
            "requests_aborted": sum(
                1 for o in observations if o.kind == "request" and "ERR_ABORTED" in (o.error or "")
            ),
            "findings": len(findings),
            "failing": counts,
            "new": sum(1 for f in findings if f.new),
            "waived": sum(1 for f in findings if f.waived),
            "fail_on": fail_on,
            "exit_code": exit_code,
        },
        "rules": {rid: {"severity": sev, "title": title} for rid, (sev, title) in RULES.items()},
        "clustering": clustering_block(run),
        "findings": [_finding(f, run) for f in findings],
        "visits": [_visit(v) for v in run.visits],
        "banner": [_banner(v) for v in run.visits if v.banner is not None],
        "declaration": declaration,
        # Which GTM tags fired in each consent state (kelisim.scanner.gtm_tags; docs/gtm.md).
        "gtm_tags": gtm_tags.by_state(observations),
        "observations": [o.to_dict() for o in observations],
    }


def skipped_count(run: Any) -> int:
    return sum(len(c.pages) * len(c.skipped_states) for c in getattr(run, "clusters", []))


def clustering_block(run: Any) -> dict[str, Any]:
    """Which pages were clustered with which representative, the states they skipped and the
    fingerprint (kelisim.scanner.cluster); `fingerprints` has every judged page's."""
    return {
        "on": bool(getattr(run, "clustering", False)),
        "base_states": list(BASE_STATES),
        "clusters": [c.to_dict() for c in getattr(run, "clusters", [])],
        "fingerprints": dict(getattr(run, "fingerprints", {})),
        "visits_skipped": skipped_count(run),
    }


def clustered_pages(finding: Finding, run: Any) -> list[str]:
    """Pages that skipped the finding's state because they share a template with a page it was
    seen on: the finding stands for them too, though they were not visited in that state."""
    state = finding.state if finding.state != "any" else finding.evidence.get("state_seen")
    found = {
        page
        for c in getattr(run, "clusters", [])
        if state in c.skipped_states and c.representative in finding.pages
        for page in c.pages
    }
    return sorted(found - set(finding.pages))


def _finding(finding: Finding, run: Any) -> dict[str, Any]:
    data = finding.to_dict()
    stands_for = clustered_pages(finding, run)
    if stands_for:
        data["clustered_pages"] = stands_for
    return data


def _visit(visit: Visit) -> dict[str, Any]:
    return {
        "page": visit.page,
        "state": visit.state,
        "ok": visit.ok,
        "error": visit.error,
        "duration_ms": visit.duration_ms,
        "settled": visit.settled,
        "stuck": visit.stuck,
        "attempts": visit.attempts,
        "observations": len(visit.observations),
        "consent_signal": visit.consent_signal,
        "consent": visit.consent.to_dict() if visit.consent is not None else None,
        "canvas_reads": visit.canvas_reads,
    }


def consent_summary(visits: list[Visit]) -> dict[str, Any]:
    """Per consent manager and method, which states were set; and which could not be.

    `self_test` counts autoconsent's own check after an opt-out: passed, failed, or not run
    (opt-ins have none, nor have some consent managers' rules).
    """
    driven = [v for v in visits if v.consent is not None]
    cmps = sorted({v.consent.cmp for v in driven if v.consent.cmp})
    methods: dict[str, list[str]] = {}
    for v in driven:
        if v.consent.method:
            methods.setdefault(v.consent.method, []).append(v.state)
    tests = [v.consent.self_test for v in driven if v.consent.method == "autoconsent"]
    return {
        "cmps": cmps,
        "methods": {m: sorted(set(states)) for m, states in sorted(methods.items())},
        "not_driven": sorted(
            (
                {"page": v.page, "state": v.state, "reason": v.consent.note or v.error}
                for v in driven
                if v.consent.method is None
            ),
            key=lambda row: (row["page"], row["state"]),
        ),
        "self_test": {
            "passed": tests.count(True),
            "failed": tests.count(False),
            "not_run": tests.count(None),
        },
    }


def _banner(visit: Visit) -> dict[str, Any]:
    data = asdict(visit.banner)
    data.pop("screenshot_png_b64")
    data.pop("settings_screenshot_png_b64")
    data.pop("screenshots_elsewhere")
    data["screenshot"] = visit.banner.has_screenshot
    data["settings_screenshot"] = visit.banner.has_settings_screenshot
    return data


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("kelisim")
    except Exception:  # not installed as a package (running from a checkout)
        return "0+checkout"


def write(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
