"""Consent statistics: counters kept up to date as events arrive, and the dashboard's reports.

The dashboard must stay fast on a log of ten million events, so it never reads the log. Each
append upserts a handful of counter rows keyed by day × site × dimension × value × outcome inside
the append's own transaction (ConsentStore.append calls `count_event`), so the counters are exactly
the log: an event is counted if and only if it was committed, and a replayed event_id is not
counted twice. The same rows are kept per calendar month too (consent_stats_monthly), so a report's
range totals sum whole months from there and only the days of a partial first or last month from
the daily table: a year is 12 months and at most 60 days of rows, not 365 days of them. The daily
series (action, vendor and purpose per day) are read from the daily table.

What is counted, per recorded choice (not per visitor: a visitor who changes their mind counts
twice, as with every event-based CMP report):
* `action` × outcome = the action (accept_all, reject_all, custom, dismiss, withdraw), and the same
  split by `language`, `device` class and `region` (unknown when no GeoIP database is configured);
* `vendor` × granted/denied and `purpose` × granted/partial/denied for banner answers (withdrawals
  are their own action and would otherwise read as fresh refusals);
* events from bots only under `bot` × action: excluded from every rate, shown as a count.

Days are Kazakhstan calendar days (UTC+5, one zone nationwide since 1 March 2024), because that is
the day a marketer in Almaty or Astana means. Counters hold no consent id, page or address, so a
subject's "destroy" request leaves them as they are: they are not personal data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, func, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from cmp.store.stats_tables import consent_stats, consent_stats_monthly

if TYPE_CHECKING:
    from cmp.store import NewEvent

__all__ = [
    "ANSWERS",
    "BREAKDOWNS",
    "ConsentStats",
    "StatsReport",
    "count_event",
    "counter_rows",
    "full_months",
    "stats_day",
]

# Banner answers: the denominators of every share and rate. A withdrawal is not an answer to the
# banner, so it is reported next to them, not among them.
ANSWERS = ("accept_all", "reject_all", "custom", "dismiss")
ACTIONS = (*ANSWERS, "withdraw")
BREAKDOWNS = ("language", "device", "region")
DAY_OFFSET = timedelta(hours=5)
MAX_RANGE_DAYS = 3 * 366
UNKNOWN = "unknown"
_VALUE_LIMIT = 64


def stats_day(moment: datetime) -> date:
    """The Kazakhstan calendar day of an aware UTC time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where UTC was expected")
    return (moment.astimezone(UTC) + DAY_OFFSET).date()


def full_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar months wholly inside [start, end], if any."""
    first = start if start.day == 1 else _next_month(start)
    after = _next_month(end) if _next_month(end) - end == timedelta(days=1) else end.replace(day=1)
    if first >= after:
        return None
    return first, (after - timedelta(days=1)).replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def counter_rows(event: NewEvent) -> list[dict[str, Any]]:
    """The counter increments one event contributes; each key appears at most once."""
    base = {"day": stats_day(event.recorded_at), "site": event.site, "count": 1}

    def row(dimension: str, value: str | None, outcome: str) -> dict[str, Any]:
        text = (value or UNKNOWN)[:_VALUE_LIMIT]
        return {**base, "dimension": dimension, "value": text, "outcome": outcome}

    action = event.action
    if event.is_bot:
        return [row("bot", "", action) | {"value": ""}]
    rows = [
        row("action", "", action) | {"value": ""},
        row("language", event.language, action),
        row("device", event.device_class, action),
        row("region", event.region, action),
    ]
    if action != "withdraw":
        rows += [
            row("vendor", vendor_id, "granted" if granted else "denied")
            for vendor_id, granted in sorted(event.grants.items())
        ]
        rows += [
            row("purpose", purpose_id, str(state))
            for purpose_id, state in sorted(event.purposes.items())
        ]
    return rows


def count_event(conn: Connection, event: NewEvent) -> None:
    """Add one committed event to the daily and monthly counters, in the caller's (the append's)
    transaction.

    Per table one single-row INSERT … ON CONFLICT DO UPDATE (SQLite ≥ 3.24, PostgreSQL ≥ 9.5),
    executed for all of the event's rows at once (executemany; psycopg pipelines it). The
    statements are the same for every event, so SQLAlchemy compiles them once: a multi-row VALUES
    list is compiled anew for each event, which cost more CPU than the rest of the append
    (bench/dashboard.py).
    """
    rows = counter_rows(event)
    dialect = conn.dialect.name
    conn.execute(_upsert(dialect, consent_stats), rows)
    month = rows[0]["day"].replace(day=1)
    conn.execute(
        _upsert(dialect, consent_stats_monthly),
        [
            {"dimension": r["dimension"], "month": month, "value": r["value"],
             "outcome": r["outcome"], "site": r["site"], "count": r["count"]}
            for r in rows
        ],
    )  # fmt: skip


def count_events(conn: Connection, events: list[NewEvent]) -> None:
    """count_event for a whole batch of appends (cmp.store.group_commit): increments for the same
    counter are summed first, so a batch costs two statements whatever its size."""
    if not events:
        return
    daily: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in events:
        for row in counter_rows(event):
            key = (row["dimension"], row["day"], row["value"], row["outcome"], row["site"])
            if key in daily:
                daily[key]["count"] += 1
            else:
                daily[key] = dict(row)
    monthly: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in daily.values():
        month = row["day"].replace(day=1)
        key = (row["dimension"], month, row["value"], row["outcome"], row["site"])
        if key in monthly:
            monthly[key]["count"] += row["count"]
        else:
            monthly[key] = {**row, "month": month}
            del monthly[key]["day"]
    dialect = conn.dialect.name
    for table, rows in ((consent_stats, daily), (consent_stats_monthly, monthly)):
        ordered = [rows[key] for key in sorted(rows)]
        if dialect == "postgresql":
            # One multi-row statement: executemany is one server round of work per row there.
            statement = postgresql.insert(table).values(ordered)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[column.name for column in table.primary_key.columns],
                    set_={"count": table.c.count + statement.excluded.count},
                )
            )
        else:
            conn.execute(_upsert(dialect, table), ordered)


@cache
def _upsert(dialect: str, table: Table) -> Any:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={"count": table.c.count + statement.excluded.count},
    )


Counts = dict[str, int]


@dataclass
class StatsReport:
    """Everything the dashboard shows for one date range (inclusive) and site (None = all)."""

    start: date
    end: date
    site: str | None
    actions: Counts = field(default_factory=dict)
    bots: int = 0
    daily: dict[date, Counts] = field(default_factory=dict)
    breakdown: dict[str, dict[str, Counts]] = field(default_factory=dict)
    vendors: dict[str, Counts] = field(default_factory=dict)
    vendor_daily: dict[str, dict[date, Counts]] = field(default_factory=dict)
    purposes: dict[str, Counts] = field(default_factory=dict)
    purpose_daily: dict[str, dict[date, Counts]] = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def answers(self) -> int:
        return answered(self.actions)

    @property
    def withdrawals(self) -> int:
        return self.actions.get("withdraw", 0)


def answered(counts: Mapping[str, int]) -> int:
    return sum(counts.get(action, 0) for action in ANSWERS)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def clamp_range(start: date, end: date) -> tuple[date, date]:
    """An ordered range no longer than MAX_RANGE_DAYS (the end wins)."""
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_RANGE_DAYS:
        start = end - timedelta(days=MAX_RANGE_DAYS - 1)
    return start, end


class ConsentStats:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def report(
        self, start: date, end: date, site: str | None = None, *, monthly: bool = True
    ) -> StatsReport:
        """Two indexed aggregate queries over the counters: range totals, then daily series.

        The totals sum whole months from the monthly counters and the rest from the daily ones;
        monthly=False sums every day from the daily counters (same numbers, more rows: the tests
        compare the two, and bench/dashboard.py times both)."""
        start, end = clamp_range(start, end)
        report = StatsReport(start=start, end=end, site=site)
        stats = consent_stats.c
        total = func.sum(stats.count).label("n")
        totals = _range_totals(start, end, site, full_months(start, end) if monthly else None)
        daily = select(stats.dimension, stats.day, stats.value, stats.outcome, total).where(
            stats.dimension.in_(("action", "vendor", "purpose")), stats.day.between(start, end)
        )
        if site is not None:
            daily = daily.where(stats.site == site)
        # In key order (site last), so SQLite sums the series without sorting them.
        daily = daily.group_by(stats.dimension, stats.day, stats.value, stats.outcome)

        breakdown: dict[str, dict[str, Counts]] = {name: defaultdict(dict) for name in BREAKDOWNS}
        vendors: dict[str, Counts] = defaultdict(dict)
        purposes: dict[str, Counts] = defaultdict(dict)
        with self.engine.connect() as conn:
            for dimension, value, outcome, n in conn.execute(totals):
                n = int(n)
                if dimension == "action":
                    report.actions[outcome] = n
                elif dimension == "bot":
                    report.bots += n
                elif dimension == "vendor":
                    vendors[value][outcome] = n
                elif dimension == "purpose":
                    purposes[value][outcome] = n
                else:
                    breakdown[dimension][value][outcome] = n
            vendor_daily: dict[str, dict[date, Counts]] = defaultdict(lambda: defaultdict(dict))
            purpose_daily: dict[str, dict[date, Counts]] = defaultdict(lambda: defaultdict(dict))
            for dimension, day, value, outcome, n in conn.execute(daily):
                day = day if isinstance(day, date) else date.fromisoformat(str(day))
                if dimension == "action":
                    report.daily.setdefault(day, {})[outcome] = int(n)
                elif dimension == "vendor":
                    vendor_daily[value][day][outcome] = int(n)
                else:
                    purpose_daily[value][day][outcome] = int(n)
        report.breakdown = {name: dict(values) for name, values in breakdown.items()}
        report.vendors = dict(vendors)
        report.purposes = dict(purposes)
        report.vendor_daily = {key: dict(days) for key, days in vendor_daily.items()}
        report.purpose_daily = {key: dict(days) for key, days in purpose_daily.items()}
        return report


_TOTAL_DIMENSIONS = ("action", "bot", *BREAKDOWNS, "vendor", "purpose")


def _range_totals(
    start: date, end: date, site: str | None, months: tuple[date, date] | None
) -> Any:
    """SELECT dimension, value, outcome, n: the range's totals per counter key (summed over sites).

    With `months` (first days of the first and last whole months) those months come from the
    monthly counters and only the days before and after them from the daily ones; each part is an
    indexed range scan summed on its own, then the (few hundred) partial sums are added up."""
    parts: list[tuple[Table, Any, date, date]] = []
    if months is None:
        parts.append((consent_stats, consent_stats.c.day, start, end))
    else:
        first, last = months
        parts.append((consent_stats_monthly, consent_stats_monthly.c.month, first, last))
        if start < first:
            parts.append((consent_stats, consent_stats.c.day, start, first - timedelta(days=1)))
        after = _next_month(last)
        if after <= end:
            parts.append((consent_stats, consent_stats.c.day, after, end))
    selects = []
    for table, period, low, high in parts:
        c = table.c
        query = select(c.dimension, c.value, c.outcome, func.sum(c.count).label("n")).where(
            c.dimension.in_(_TOTAL_DIMENSIONS), period.between(low, high)
        )
        if site is not None:
            query = query.where(c.site == site)
        selects.append(query.group_by(c.dimension, c.value, c.outcome))
    if len(selects) == 1:
        return selects[0]
    both = union_all(*selects).subquery()
    return select(both.c.dimension, both.c.value, both.c.outcome, func.sum(both.c.n)).group_by(
        both.c.dimension, both.c.value, both.c.outcome
    )
