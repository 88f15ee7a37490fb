"""Scheduled scans of the production site: what to scan, how often, whom to tell, and each run.

Staff schedule a scan in the admin; a runner (`kelisim scan schedule run`, from cron or a systemd
timer, docs/operations.md) scans every schedule that is due, stores the report like an upload
(kelisim.services.scans) and compares its findings with the schedule's previous run: findings whose
id the previous run did not have are new, and only they are notified (kelisim.services.notify), so a
known problem does not mail the team every night. Each run keeps its finding counts, which the admin
shows as the trend between scans.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from kelisim.store.integration_tables import scan_schedule_runs, scan_schedules

__all__ = ["Schedule", "ScheduleError", "ScheduleRun", "Schedules", "validate_schedule"]

MAX_INTERVAL_HOURS = 24 * 31
_URL = re.compile(r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


def utc_now() -> datetime:
    return datetime.now(UTC)


class ScheduleError(ValueError):
    """Invalid schedule fields: `errors` maps a field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Schedule:
    id: int
    target: str
    interval_hours: int
    email: str | None
    webhook_url: str | None
    enabled: bool
    next_run_at: datetime
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class ScheduleRun:
    id: int
    schedule_id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # "ok" | "findings" | "error"
    scan_run_id: int | None
    findings: int | None
    new_findings: int | None
    notified: str | None
    error: str | None


def validate_schedule(
    target: str, interval_hours: Any, email: str | None, webhook_url: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(target, str) or len(target) > 2048 or not _URL.match(target.strip()):
        errors["target"] = "an http(s) URL of the site, like https://creditplus.kz/"
    if not isinstance(interval_hours, int) or not 1 <= interval_hours <= MAX_INTERVAL_HOURS:
        errors["interval_hours"] = f"a whole number of hours from 1 to {MAX_INTERVAL_HOURS}"
    if email and (len(email) > 254 or not _EMAIL.match(email.strip())):
        errors["email"] = "one e-mail address"
    if webhook_url and (len(webhook_url) > 2048 or not _URL.match(webhook_url.strip())):
        errors["webhook_url"] = "an http(s) URL that accepts a JSON POST"
    if not email and not webhook_url:
        errors["email"] = "give an e-mail address, a webhook URL, or both"
    return errors


def _schedule(row: Any) -> Schedule:
    return Schedule(**{key: row[key] for key in Schedule.__dataclass_fields__})


def _run(row: Any) -> ScheduleRun:
    return ScheduleRun(**{key: row[key] for key in ScheduleRun.__dataclass_fields__})


class Schedules:
    def __init__(
        self, engine: Engine, write_engine: Engine, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.engine = engine
        self.write_engine = write_engine
        self.clock = clock

    def create(
        self,
        target: str,
        interval_hours: int,
        email: str | None,
        webhook_url: str | None,
        actor: str,
    ) -> int:
        """A new schedule, due at once (its first run is the baseline everyone is told about)."""
        email = (email or "").strip() or None
        webhook_url = (webhook_url or "").strip() or None
        errors = validate_schedule(target, interval_hours, email, webhook_url)
        if errors:
            raise ScheduleError(errors)
        now = self.clock()
        with self.write_engine.begin() as conn:
            return int(
                conn.execute(
                    insert(scan_schedules).values(
                        target=target.strip(),
                        interval_hours=interval_hours,
                        email=email,
                        webhook_url=webhook_url,
                        enabled=True,
                        next_run_at=now,
                        created_by=actor[:80],
                        created_at=now,
                    )
                ).inserted_primary_key[0]
            )

    def all(self) -> list[Schedule]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(scan_schedules).order_by(scan_schedules.c.id)).mappings()
            return [_schedule(row) for row in rows]

    def get(self, schedule_id: int) -> Schedule | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(scan_schedules).where(scan_schedules.c.id == schedule_id))
                .mappings()
                .first()
            )
        return None if row is None else _schedule(row)

    def set_enabled(self, schedule_id: int, enabled: bool) -> bool:
        with self.write_engine.begin() as conn:
            return bool(
                conn.execute(
                    update(scan_schedules)
                    .where(scan_schedules.c.id == schedule_id)
                    .values(enabled=enabled)
                ).rowcount
            )

    def remove(self, schedule_id: int) -> bool:
        with self.write_engine.begin() as conn:
            conn.execute(
                delete(scan_schedule_runs).where(scan_schedule_runs.c.schedule_id == schedule_id)
            )
            return bool(
                conn.execute(
                    delete(scan_schedules).where(scan_schedules.c.id == schedule_id)
                ).rowcount
            )

    def due(self, now: datetime | None = None) -> list[Schedule]:
        now = now or self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(scan_schedules)
                .where(scan_schedules.c.enabled.is_(True))
                .where(scan_schedules.c.next_run_at <= now)
                .order_by(scan_schedules.c.next_run_at, scan_schedules.c.id)
            ).mappings()
            return [_schedule(row) for row in rows]

    def claim(self, schedule: Schedule) -> bool:
        """Move the schedule's next run on before scanning, so a second runner started meanwhile
        (an overlapping cron) does not scan the same site twice."""
        following = self.clock() + timedelta(hours=schedule.interval_hours)
        with self.write_engine.begin() as conn:
            return bool(
                conn.execute(
                    update(scan_schedules)
                    .where(scan_schedules.c.id == schedule.id)
                    .where(scan_schedules.c.next_run_at == schedule.next_run_at)
                    .values(next_run_at=following)
                ).rowcount
            )

    def start_run(self, schedule_id: int) -> int:
        with self.write_engine.begin() as conn:
            return int(
                conn.execute(
                    insert(scan_schedule_runs).values(
                        schedule_id=schedule_id, started_at=self.clock(), outcome="running"
                    )
                ).inserted_primary_key[0]
            )

    def finish_run(self, run_id: int, **values: Any) -> None:
        with self.write_engine.begin() as conn:
            conn.execute(
                update(scan_schedule_runs)
                .where(scan_schedule_runs.c.id == run_id)
                .values(finished_at=self.clock(), **values)
            )

    def runs(self, schedule_id: int, limit: int = 30) -> list[ScheduleRun]:
        """Newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(scan_schedule_runs)
                .where(scan_schedule_runs.c.schedule_id == schedule_id)
                .order_by(scan_schedule_runs.c.id.desc())
                .limit(limit)
            ).mappings()
            return [_run(row) for row in rows]

    def previous_scan_run(self, schedule_id: int, before_run: int) -> int | None:
        """The scan (kelisim.services.scans run id) of the schedule's last successful run before
        this one."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(scan_schedule_runs.c.scan_run_id)
                .where(scan_schedule_runs.c.schedule_id == schedule_id)
                .where(scan_schedule_runs.c.id < before_run)
                .where(scan_schedule_runs.c.scan_run_id.is_not(None))
                .order_by(scan_schedule_runs.c.id.desc())
                .limit(1)
            ).scalar()
