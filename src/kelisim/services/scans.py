"""Scanner runs uploaded to the server (report.json, "kelisim-scan/1"), kept for the admin UI.

The scanner runs in CI, far from the admin; uploading its report lets marketers read what the live
site did without a CI login. The report is kept byte for byte (it is the evidence), and its findings
are also written out one per row so the admin can filter them by rule, severity, state and vendor
in SQL rather than by parsing megabytes of JSON per page view.

Input comes from a bearer-token holder, not staff, so `validate` checks every field the server
reads before anything is stored and lists every problem at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from kelisim.domain.bounds import MAX_DB_INT, db_int
from kelisim.services.audit import AuditLog
from kelisim.store.stats_tables import scan_findings, scan_runs

__all__ = ["SCHEMA", "ScanFinding", "ScanRun", "ScanStore", "validate"]

SCHEMA = "kelisim-scan/1"
MAX_FINDINGS = 50_000
FACETS = ("rule", "severity", "state", "vendor")
# Longest value each finding column takes; longer means a broken or hostile report.
_FINDING_LIMITS = {"id": 64, "rule": 16, "severity": 16, "state": 32, "vendor": 64}

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ScanRun:
    id: int
    uploaded_at: datetime
    uploader: str
    schema: str
    started_at: str | None
    finished_at: str | None
    target: str | None
    catalogue_revision: int | None
    catalogue_hash: str | None
    findings: int
    exit_code: int | None
    summary: Mapping[str, Any]
    declaration: list[Mapping[str, Any]]


@dataclass(frozen=True)
class ScanFinding:
    finding_id: str
    rule: str
    severity: str
    state: str
    page: str | None
    vendor: str | None
    artefact: str | None
    message: str | None
    waived: str | None
    evidence: Mapping[str, Any] | None


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def validate(report: Any) -> list[dict[str, str]]:
    """Every problem that stops the report from being stored, as {field, message}."""
    errors: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        if len(errors) < 50:
            errors.append({"field": field, "message": message})

    if not isinstance(report, dict):
        return [{"field": "", "message": "the body must be a JSON object"}]
    if report.get("schema") != SCHEMA:
        problem("schema", f'must be "{SCHEMA}"')
    for name in ("started_at", "finished_at"):
        if not _optional_text(report.get(name)):
            problem(name, "must be a string")
    if not isinstance(report.get("summary", {}), dict):
        problem("summary", "must be an object")
    for name in ("target", "catalogue"):
        if not isinstance(report.get(name, {}), dict):
            problem(name, "must be an object")
    for parent, name in (("catalogue", "revision"), ("summary", "exit_code")):
        section = report.get(parent)
        value = section.get(name) if isinstance(section, dict) else None
        if value is not None and db_int(value) is None:
            problem(f"{parent}.{name}", f"must be a whole number from 0 to {MAX_DB_INT}")
    for name in ("declaration", "observations"):
        value = report.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            problem(name, "must be a list of objects")
    findings = report.get("findings")
    if not isinstance(findings, list):
        problem("findings", "is required and must be a list")
        return errors
    if len(findings) > MAX_FINDINGS:
        problem("findings", f"at most {MAX_FINDINGS} findings per report")
        return errors
    for index, finding in enumerate(findings):
        where = f"findings[{index}]"
        if not isinstance(finding, dict):
            problem(where, "must be an object")
            continue
        for name, limit in _FINDING_LIMITS.items():
            value = finding.get(name)
            required = name != "vendor"
            if value is None and not required:
                continue
            if not isinstance(value, str) or not value:
                problem(f"{where}.{name}", "is required and must be a string")
            elif len(value) > limit:
                problem(f"{where}.{name}", f"must be at most {limit} characters")
        for name in ("page", "artefact", "message", "waived"):
            if not _optional_text(finding.get(name)):
                problem(f"{where}.{name}", "must be a string or null")
        if not isinstance(finding.get("evidence", {}), dict):
            problem(f"{where}.evidence", "must be an object")
    return errors


def _int_or_none(value: Any) -> int | None:
    """An int that fits the INTEGER column; anything else (or out of range) is not stored."""
    return db_int(value)


def _target(report: Mapping[str, Any]) -> str | None:
    target = report.get("target") or {}
    urls = target.get("urls") if isinstance(target, Mapping) else None
    if isinstance(urls, list) and urls:
        return ", ".join(str(url) for url in urls)[:2000]
    return None


class ScanStore:
    def __init__(
        self, engine: Engine, write_engine: Engine, audit: AuditLog, clock: Clock = utc_now
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.audit = audit
        self.clock = clock

    def save(self, report: Mapping[str, Any], raw: str, uploader: str) -> int:
        """Store a validated report and its findings in one transaction; returns the run id."""
        catalogue = report.get("catalogue") or {}
        summary = report.get("summary") or {}
        findings = report.get("findings") or []
        now = self.clock()
        with self.write_engine.begin() as conn:
            run_id = conn.execute(
                insert(scan_runs).values(
                    uploaded_at=now,
                    uploader=uploader[:80],
                    schema=str(report.get("schema")),
                    started_at=report.get("started_at"),
                    finished_at=report.get("finished_at"),
                    target=_target(report),
                    catalogue_revision=_int_or_none(catalogue.get("revision")),
                    catalogue_hash=str(catalogue.get("hash"))[:80]
                    if catalogue.get("hash")
                    else None,
                    findings=len(findings),
                    exit_code=_int_or_none(summary.get("exit_code")),
                    summary=dict(summary),
                    declaration=list(report.get("declaration") or []),
                    report=raw,
                )
            ).inserted_primary_key[0]
            if findings:
                conn.execute(
                    insert(scan_findings),
                    [
                        {
                            "run_id": run_id,
                            "finding_id": item["id"],
                            "rule": item["rule"],
                            "severity": item["severity"],
                            "state": item["state"],
                            "page": item.get("page"),
                            "vendor": item.get("vendor"),
                            "artefact": item.get("artefact"),
                            "message": item.get("message"),
                            "waived": item.get("waived"),
                            "evidence": item.get("evidence"),
                        }
                        for item in findings
                    ],
                )
            self.audit.append(
                uploader,
                "scan.upload",
                f"scan:{run_id}",
                after={"findings": len(findings), "target": _target(report)},
                conn=conn,
                at=now,
            )
        return int(run_id)

    def runs(self, limit: int = 50) -> list[ScanRun]:
        query = select(scan_runs).order_by(scan_runs.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_run(row) for row in conn.execute(query).mappings()]

    def run(self, run_id: int) -> ScanRun | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(scan_runs).where(scan_runs.c.id == run_id)).mappings().first()
        return None if row is None else _run(row)

    def report(self, run_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(scan_runs.c.report).where(scan_runs.c.id == run_id)).scalar()

    def findings(self, run_id: int, **filters: str | None) -> list[ScanFinding]:
        """A run's findings, narrowed by any of rule, severity, state, vendor ("-" = no vendor)."""
        columns = scan_findings.c
        query = select(scan_findings).where(columns.run_id == run_id)
        for name in FACETS:
            value = filters.get(name)
            if value:
                column = columns[name]
                query = query.where(column.is_(None) if value == "-" else column == value)
        query = query.order_by(columns.severity, columns.rule, columns.id)
        with self.engine.connect() as conn:
            return [
                ScanFinding(
                    finding_id=row["finding_id"],
                    rule=row["rule"],
                    severity=row["severity"],
                    state=row["state"],
                    page=row["page"],
                    vendor=row["vendor"],
                    artefact=row["artefact"],
                    message=row["message"],
                    waived=row["waived"],
                    evidence=row["evidence"],
                )
                for row in conn.execute(query).mappings()
            ]

    def facets(self, run_id: int) -> dict[str, Counter[str]]:
        """How many findings each rule, severity, state and vendor has in the run."""
        result: dict[str, Counter[str]] = {}
        with self.engine.connect() as conn:
            for name in FACETS:
                column = scan_findings.c[name]
                rows = conn.execute(
                    select(column, func.count())
                    .where(scan_findings.c.run_id == run_id)
                    .group_by(column)
                )
                result[name] = Counter({(value or "-"): int(n) for value, n in rows})
        return result


def _run(row: Mapping[str, Any]) -> ScanRun:
    return ScanRun(
        id=row["id"],
        uploaded_at=row["uploaded_at"],
        uploader=row["uploader"],
        schema=row["schema"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        target=row["target"],
        catalogue_revision=row["catalogue_revision"],
        catalogue_hash=row["catalogue_hash"],
        findings=row["findings"],
        exit_code=row["exit_code"],
        summary=row["summary"] or {},
        declaration=list(row["declaration"] or []),
    )
