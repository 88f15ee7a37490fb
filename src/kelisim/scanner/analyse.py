"""From a browser run to a verdict: attribute, apply the rules, waivers and baseline, and build
the reports. Kept apart from the browser so it can be tested on synthetic visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kelisim.scanner.attribute import Attributor, url_host
from kelisim.scanner.config import ScanConfig
from kelisim.scanner.knowledge import site_of
from kelisim.scanner.model import Finding
from kelisim.scanner.report import declaration as declaration_report
from kelisim.scanner.report import html as html_report
from kelisim.scanner.report import json as json_report
from kelisim.scanner.report import junit as junit_report
from kelisim.scanner.rules import Context, evaluate
from kelisim.scanner.run import ScanRun
from kelisim.scanner.triage import apply_baseline, apply_waivers, baseline_ids, exit_code


@dataclass
class Outcome:
    findings: list[Finding]
    report: dict[str, Any]
    exit_code: int
    unused_waivers: list[str]


def analyse(run: ScanRun, config: ScanConfig, catalogue: Any) -> Outcome:
    sites = {site_of(h) for h in (url_host(u) for u in [*config.urls, *run.pages]) if h}
    attributor = Attributor(catalogue, config.necessary, [*config.urls, *run.pages])
    observations = [o for v in run.visits for o in v.observations]
    attributor.add_cmp_hosts_from(observations)
    attributor.attribute_all(observations)
    ctx = Context(
        catalogue=catalogue,
        config=config,
        first_party_sites=sites,
        cmp_hosts=attributor.cmp_hosts,
        policy=run.policy,
    )
    findings = evaluate(run.visits, ctx)
    unused = apply_waivers(findings, config.waivers, dt.date.today())
    if config.baseline is not None:
        apply_baseline(findings, baseline_ids(config.baseline))
    reachable = [u for u in config.urls if u not in run.unreachable]
    code = exit_code(findings, config.fail_on, unreachable=not reachable)
    rows = declaration_report.build(observations, catalogue, sites)
    report = json_report.build(
        run=run,
        config=config,
        catalogue=catalogue,
        findings=findings,
        declaration=rows,
        exit_code=code,
        fail_on=config.fail_on,
    )
    if unused:
        report["summary"]["unused_waivers"] = unused
    return Outcome(findings, report, code, unused)


def write_reports(outcome: Outcome, run: ScanRun, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    json_report.write(outcome.report, out / "report.json")
    junit_report.write(
        junit_report.build(
            outcome.findings, run.states, outcome.report["summary"]["fail_on"], run.duration_s
        ),
        out / "junit.xml",
    )
    html_report.write(html_report.render(outcome.report, run.visits), out / "report.html")
    declaration_report.write(outcome.report["declaration"], out)
