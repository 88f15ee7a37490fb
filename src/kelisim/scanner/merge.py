"""`kelisim scan merge REPORT… --out DIR` (its arguments in kelisim.scanner.cli): the report.json
files of the shards of one scan (`kelisim scan --shard i/n`, one per CI runner) joined into the
reports one unsharded scan gives.

The findings are not simply concatenated: rules that look across pages and states ("declared but
never observed", the policy check) must see every shard's observations at once. So the visits and
observations are read back from the shards' reports and judged again, with the same catalogue
and scan configuration the shards used.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from kelisim.scanner.cluster import Cluster
from kelisim.scanner.config import ConfigError
from kelisim.scanner.model import BannerMetrics, ConsentDriving, Observation, Visit
from kelisim.scanner.report.json import SCHEMA
from kelisim.scanner.run import ScanRun

OBSERVATION_FIELDS = {f.name for f in dataclasses.fields(Observation)}
CONSENT_FIELDS = {f.name for f in dataclasses.fields(ConsentDriving)}
# Worked out again from the catalogue on merging, never taken from a shard's report.
ATTRIBUTION = {"vendor": None, "candidates": None, "declared": False, "necessary": False}


def read_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not JSON ({exc})") from None
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        raise ConfigError(f"{path}: not a kelisim scan report (schema {SCHEMA})")
    return report


def check_shards(reports: list[tuple[Path, dict[str, Any]]]) -> int:
    """The reports must be every shard of one scan, once each; returns the shard count."""
    first_path, first = reports[0]
    shards: dict[int, Path] = {}
    count = None
    for path, report in reports:
        shard = report["target"].get("shard")
        if not shard:
            raise ConfigError(f"{path}: not a shard (scanned without --shard i/n)")
        index, n = (int(x) for x in str(shard).split("/"))
        if count is None:
            count = n
        elif n != count:
            raise ConfigError(f"{path}: shard {shard}, but {first_path} is one of {count}")
        if index in shards:
            raise ConfigError(f"{path}: shard {shard} is also {shards[index]}")
        shards[index] = path
        for what, key in (("start URLs", ("target", "urls")), ("states", ("target", "states")),
                          ("catalogue", ("catalogue", "hash"))):  # fmt: skip
            if report[key[0]].get(key[1]) != first[key[0]].get(key[1]):
                raise ConfigError(f"{path}: other {what} than {first_path}; not one scan")
    assert count is not None
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in shards]
    if missing:
        raise ConfigError(f"shard {', '.join(missing)} missing: every shard's report is needed")
    return count


def _visits(report: dict[str, Any]) -> list[Visit]:
    by_key: dict[tuple[str, str], Visit] = {}
    for row in report["visits"]:
        consent = row.get("consent")
        visit = Visit(
            page=row["page"],
            state=row["state"],
            ok=row["ok"],
            error=row.get("error"),
            duration_ms=row.get("duration_ms", 0),
            consent_signal=row.get("consent_signal") or {},
            canvas_reads=row.get("canvas_reads") or [],
            settled=row.get("settled", True),
            stuck=row.get("stuck") or [],
            attempts=row.get("attempts", 1),
            consent=ConsentDriving(**{k: v for k, v in consent.items() if k in CONSENT_FIELDS})
            if consent
            else None,
        )
        by_key[(visit.page, visit.state)] = visit
    for row in report["observations"]:
        data = {k: v for k, v in row.items() if k in OBSERVATION_FIELDS}
        obs = Observation(**{**data, **ATTRIBUTION})
        visit = by_key.get((obs.page, obs.state))
        if visit is not None:
            visit.observations.append(obs)
    for row in report.get("banner") or []:
        visit = by_key.get((row["page"], "none"))
        if visit is not None:  # screenshots stay in the shard's own report.html
            visit.banner = BannerMetrics(
                page=row["page"],
                found=row["found"],
                buttons=row.get("buttons") or {},
                prechecked=row.get("prechecked") or [],
                screenshots_elsewhere=(
                    bool(row.get("screenshot")),
                    bool(row.get("settings_screenshot")),
                ),
            )
    return list(by_key.values())


def _clustering(report: dict[str, Any], run: ScanRun) -> None:
    """A shard clusters only its own pages: its clusters are kept as they are (each with the
    representative that ran every state), and what they skipped stays skipped, never a visit."""
    block = report.get("clustering") or {}
    if not block.get("on"):
        return
    run.clustering = True
    for row in block.get("clusters") or []:
        run.clusters.append(
            Cluster(
                fingerprint=row["fingerprint"],
                representative=row["representative"],
                pages=list(row.get("pages") or []),
                skipped_states=list(row.get("skipped_states") or []),
                signature=list(row.get("signature") or []),
            )
        )
    run.fingerprints.update(block.get("fingerprints") or {})


def to_run(reports: list[tuple[Path, dict[str, Any]]], count: int) -> ScanRun:
    ordered = sorted(reports, key=lambda item: str(item[1]["target"]["shard"]))
    first = ordered[0][1]
    run = ScanRun(
        started_at=min(r["started_at"] for _, r in ordered),
        finished_at=max(r["finished_at"] for _, r in ordered),
        duration_s=max(r["duration_s"] for _, r in ordered),  # the shards ran side by side
    )
    run.pages = list(dict.fromkeys(p for _, r in ordered for p in r["target"]["pages"]))
    run.states = list(first["target"]["states"])
    for _, report in ordered:
        run.unreachable.update(report["target"].get("unreachable") or {})
        run.visits.extend(_visits(report))
        run.policy = run.policy or report.get("policy")
        _clustering(report, run)
    pages = {p: i for i, p in enumerate(run.pages)}
    states = {s: i for i, s in enumerate(run.states)}
    run.visits.sort(key=lambda v: (pages.get(v.page, 0), states.get(v.state, 0)))
    run.environment = {**first["environment"], "shard": None, "merged_shards": count}
    return run
