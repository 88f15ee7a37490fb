"""Consent statistics: counters kept up to date as events arrive, and the dashboard's reports.

The dashboard must stay fast on a log of ten million events, so it never reads the log. Each append
upserts a handful of counter rows keyed by day × site × dimension × value × outcome inside the
append's own transaction (ConsentStore.append calls `count_event`, kept in kelisim.store.counting),
so the counters are exactly the log: an event is counted if and only if it was committed, and a
replayed event_id is not counted twice. The same rows are kept per calendar month too
(consent_stats_monthly), so a report's range totals sum whole months from there and only the days of
a partial first or last month from the daily table: a year is 12 months and at most 60 days of rows,
not 365 days of them. The daily series (action, vendor and purpose per day) are read from the daily
table.

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
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, func, select, union_all

from kelisim.store.counting import (
    ANSWERS,
    BREAKDOWNS,
    MAX_RANGE_DAYS,
    count_event,
    counter_rows,
    full_months,
    next_month,
    stats_day,
)
from kelisim.store.stats_tables import consent_stats, consent_stats_monthly

if TYPE_CHECKING:
    pass

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
        after = next_month(last)
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
