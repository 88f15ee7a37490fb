"""The consent counters written inside each append's own transaction.

They live with the store because ConsentStore.append (and the group commit) call them in the
append's transaction: an event is counted if and only if it was committed. kelisim.services.stats
reads them back for the dashboard; this module only writes them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Date, Table
from sqlalchemy.dialects import postgresql, sqlite

from kelisim.store.stats_tables import consent_stats, consent_stats_monthly

if TYPE_CHECKING:
    from kelisim.store import NewEvent

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
    first = start if start.day == 1 else next_month(start)
    after = next_month(end) if next_month(end) - end == timedelta(days=1) else end.replace(day=1)
    if first >= after:
        return None
    return first, (after - timedelta(days=1)).replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def counter_rows(event: NewEvent) -> list[dict[str, Any]]:
    """The counter increments one event contributes; each key appears at most once."""
    return _counter_rows(*_counted(event))


def _counted(event: NewEvent) -> tuple[Any, ...]:
    """All of an event that its counters depend on, hashable."""
    return (
        stats_day(event.recorded_at),
        event.site,
        event.action,
        event.is_bot,
        event.language,
        event.device_class,
        event.region,
        tuple(sorted(event.grants.items())),
        tuple(sorted(event.purposes.items())),
    )


def _counter_rows(
    day: date,
    site: str,
    action: str,
    is_bot: bool,
    language: str | None,
    device_class: str | None,
    region: str | None,
    grants: tuple[tuple[str, bool], ...],
    purposes: tuple[tuple[str, object], ...],
) -> list[dict[str, Any]]:
    base = {"day": day, "site": site, "count": 1}

    def row(dimension: str, value: str | None, outcome: str) -> dict[str, Any]:
        text = (value or UNKNOWN)[:_VALUE_LIMIT]
        return {**base, "dimension": dimension, "value": text, "outcome": outcome}

    if is_bot:
        return [row("bot", "", action) | {"value": ""}]
    rows = [
        row("action", "", action) | {"value": ""},
        row("language", language, action),
        row("device", device_class, action),
        row("region", region, action),
    ]
    if action != "withdraw":
        rows += [
            row("vendor", vendor_id, "granted" if granted else "denied")
            for vendor_id, granted in grants
        ]
        rows += [row("purpose", purpose_id, str(state)) for purpose_id, state in purposes]
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
    """count_event for a whole batch of appends (kelisim.store.group_commit): increments for the
    same counter are summed first, so a batch costs two statements (one on PostgreSQL) whatever
    its size."""
    add_counts(conn, [increments(event) for event in events])


@dataclass(frozen=True)
class Increments:
    """One event's counter keys, daily and monthly, each as (dimension, day or month in
    YYYY-MM-DD, value, outcome, site): the primary-key order of both tables, in the text both
    databases read as a date, ready to be summed and serialised."""

    daily: tuple[tuple[str, ...], ...]
    monthly: tuple[tuple[str, ...], ...]


def increments(event: NewEvent) -> Increments:
    """The keys the append makes in the request's own thread: under the log's write lock, which
    every worker waits for, only the summing and one statement per table are left."""
    return _increments(_counted(event))


# Visitors answer the same few ways on a given day (accept all, reject all, from a handful of
# regions and devices): the keys of one answer are those of thousands of others.
@lru_cache(maxsize=1024)
def _increments(counted: tuple[Any, ...]) -> Increments:
    rows = _counter_rows(*counted)
    day = rows[0]["day"]
    daily_text, month_text = day.isoformat(), day.replace(day=1).isoformat()
    return Increments(
        daily=tuple(
            (r["dimension"], daily_text, r["value"], r["outcome"], r["site"]) for r in rows
        ),
        monthly=tuple(
            (r["dimension"], month_text, r["value"], r["outcome"], r["site"]) for r in rows
        ),
    )


def add_counts(
    conn: Connection,
    batch: list[Increments],
    run: Callable[[str, tuple[Any, ...]], Any] | None = None,
) -> None:
    """count_events with each event's increments made beforehand: the append makes them before
    it takes the log's write lock, under which this runs (SQLite: through `run`, the batch's
    kelisim.store.bulk.DriverSQL, when given)."""
    if not batch:
        return
    # Sorted: every writer touches the counters in key order, so two never wait on each other.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_UPSERTS, pg_parameters(batch))
        return
    for table, counts in zip((consent_stats, consent_stats_monthly), _summed(batch), strict=True):
        keys = sorted(counts)
        for start in range(0, len(keys), _SQLITE_ROWS_PER_UPSERT):
            chunk = keys[start : start + _SQLITE_ROWS_PER_UPSERT]
            values: list[Any] = []
            for key in chunk:
                values += key
                values.append(counts[key])
            (run or conn.exec_driver_sql)(_sqlite_upsert(table, len(chunk)), tuple(values))


def pg_parameters(batch: list[Increments]) -> dict[str, str]:
    """The increments of `batch` as PG_DAILY_UPSERT's and PG_MONTHLY_UPSERT's parameters, for an
    append that runs them inside a statement of its own."""
    daily, monthly = _summed(batch)
    return {"daily": _as_json(daily), "monthly": _as_json(monthly)}


def _summed(
    batch: list[Increments],
) -> tuple[Counter[tuple[str, ...]], Counter[tuple[str, ...]]]:
    """The daily and the monthly increments of every event in `batch`, added up."""
    daily: Counter[tuple[str, ...]] = Counter()
    monthly: Counter[tuple[str, ...]] = Counter()
    for event_increments in batch:
        # Each key appears at most once per event, so counting keys counts events.
        daily.update(event_increments.daily)
        monthly.update(event_increments.monthly)
    return daily, monthly


def _as_json(counts: Counter[tuple[str, ...]]) -> str:
    """The increments as one JSON array of arrays: the key in primary-key column order, then the
    count."""
    return json.dumps([[*key, counts[key]] for key in sorted(counts)], separators=(",", ":"))


# Six bound values a row, under SQLite's default limit of 999 per statement.
_SQLITE_ROWS_PER_UPSERT = 166


@lru_cache(maxsize=256)
def _sqlite_upsert(table: Table, rows: int) -> str:
    """One upsert of `rows` increments of `table`, as a VALUES list.

    An executemany runs one statement per row (two dozen per table for one consent with the
    default catalogue), and SQLite's driver hands the interpreter lock over at each: while the
    append holds the log's write lock, which every worker waits for, each hand-over can cost a
    thread switch interval. One JSON parameter read back with json_each() and json_extract() was
    one statement too, but SQLite then parsed every increment six times: it cost twice the VALUES
    list's CPU. The text differs only by the row count (a batch of one consent's answers has a
    handful of counts), and the driver keeps each prepared statement.
    """
    names = [column.name for column in table.primary_key.columns]
    columns = ", ".join(names)
    row = "(" + ", ".join("?" * (len(names) + 1)) + ")"
    return (
        f"INSERT INTO {table.name} ({columns}, count) VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({columns}) DO UPDATE SET count = {table.name}.count + excluded.count"
    )


def _pg_upsert_from_json(table: Table, parameter: str) -> str:
    names = [column.name for column in table.primary_key.columns]
    casts = ["::date" if isinstance(table.c[name].type, Date) else "" for name in names]
    picks = ", ".join(f"(increment->>{i}){cast}" for i, cast in enumerate(casts))
    columns = ", ".join(names)
    return (
        f"INSERT INTO {table.name} ({columns}, count) "
        f"SELECT {picks}, (increment->>{len(names)})::bigint "
        f"FROM jsonb_array_elements(%({parameter})s::jsonb) WITH ORDINALITY AS e(increment, n) "
        "ORDER BY n "
        f"ON CONFLICT ({columns}) DO UPDATE SET count = {table.name}.count + excluded.count"
    )


# Both tables in one statement (a data-modifying WITH runs to completion whether or not its
# result is read), each from one JSON parameter: one round trip where a multi-row VALUES list per
# table was two, each compiled anew for every batch size.
PG_DAILY_UPSERT = _pg_upsert_from_json(consent_stats, "daily")
PG_MONTHLY_UPSERT = _pg_upsert_from_json(consent_stats_monthly, "monthly")
_PG_UPSERTS = f"WITH daily AS ({PG_DAILY_UPSERT} RETURNING 1) {PG_MONTHLY_UPSERT}"


@cache
def _upsert(dialect: str, table: Table) -> Any:
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={"count": table.c.count + statement.excluded.count},
    )
