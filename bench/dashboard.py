"""The dashboard on a year of ten million consent events: query and page times, and append cost.

Not a test (shared machines are noisy): it prints figures. Target on 2 cores: a dashboard page in
at most 200 ms for the last 30 days and for the last 365 days.

    .venv/bin/python bench/dashboard.py [--events 10000000] [--runs 7] [--append-seconds 90]

What it builds, in bench/.work/dashboard.sqlite3 (git-ignored; rebuilt on every run):

1. The `consent_stats` counter rows that --events events over the last --days days would leave,
   and their monthly rollup in `consent_stats_monthly` (what the same appends would have upserted).
   The dashboard never reads the log (kelisim.services.stats), so these rows are all its queries
   see; writing
   them directly is the fast honest way to get a year of counters without appending 10 M events
   (hours of fsyncs). Per Kazakhstan day and site: a daily volume with a weekly rhythm, growth and
   two campaign spikes, summing to exactly --events; then multinomial splits over what a lender's
   banner sees: actions (custom answers drawn from 12 fixed choice patterns over the 14 vendors of
   vendors.yaml), language, device class, region (Kazakhstan's regions, country-only, unknown,
   neighbours) and 4 % bots. Every counter key is made by kelisim.services.stats.counter_rows on a
   real
   NewEvent whose grants and purposes come from kelisim.domain.consent.decide, so the key scheme
   (dimensions,
   values, outcomes, "unknown") is the one ConsentStore.append writes.
2. A real slice of events appended through ConsentStore.append (hash chain, stats hook, the
   production SQLite settings WAL + synchronous=FULL), timestamped now, so they add to counter rows
   that already exist. It stops at --appends events or after --append-seconds, whichever is first;
   blocks without the stats hook go to a scratch database in between, to show what the hook costs.
3. Then, for the last 30 and 365 days: kelisim.services.stats.ConsentStats.report (what the
dashboard view
   calls; its two aggregate queries and the assembly) and the whole page GET /admin/?from=&to=
   through Flask's test client, signed in as an admin. Median of --runs runs after one warm-up.
   Beside them, as the "before" figures of the same run: report(monthly=False) (every day of the
   range from the daily counters, no monthly rollup), and the two queries of the report as they
   were before the rollup, run on a copy of the daily counters in the earlier layout (a rowid table
   keyed dimension, day, site, value, outcome; totals grouped from every day of the range).

With KELISIM_BENCH_POSTGRES_URL (a server URL whose user may CREATE DATABASE) the same runs on a
throwaway PostgreSQL database as well, which is dropped afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import (  # noqa: E402
    BigInteger,
    Column,
    Date,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import make_url  # noqa: E402

from kelisim.domain.catalogue import Catalogue  # noqa: E402
from kelisim.domain.catalogue import load as load_catalogue  # noqa: E402
from kelisim.domain.consent import decide, expires_at  # noqa: E402
from kelisim.services import stats  # noqa: E402
from kelisim.settings import DEFAULT_CATALOGUE  # noqa: E402
from kelisim.store import ConsentStore, NewEvent, counting  # noqa: E402
from kelisim.store.stats_tables import consent_stats, consent_stats_monthly  # noqa: E402
from kelisim.web.admin.shell import services  # noqa: E402
from kelisim.web.app import create_app  # noqa: E402
from tests.support.throwaway import throwaway_settings  # noqa: E402

WORK = ROOT / "bench" / ".work"
CATALOGUE = DEFAULT_CATALOGUE
PAGE_TARGET_MS = 200.0
POSTGRES_ENV = "KELISIM_BENCH_POSTGRES_URL"
PASSWORD = "bench dashboard password 2026"
INSERT_CHUNK = 10_000
APPEND_BLOCK = 250

# --- what the banner sees (shares; each list is normalised) ------------------------------------

SITES = (("default", 0.8), ("cabinet", 0.2))  # the public site and the borrower's cabinet
BOT_SHARE = 0.04
ACTIONS = (
    ("accept_all", 0.60),
    ("dismiss", 0.16),
    ("reject_all", 0.12),
    ("custom", 0.11),
    ("withdraw", 0.01),
)
BOT_ACTIONS = (("accept_all", 0.5), ("dismiss", 0.3), ("reject_all", 0.2))
LANGUAGES = (("ru", 0.74), ("kk", 0.21), ("en", 0.05))
DEVICES = (("mobile", 0.68), ("desktop", 0.27), ("tablet", 0.04), ("other", 0.01))
_REGION_WEIGHTS = {
    "KZ-ALA": 22, "KZ-AST": 15, "KZ-SHY": 8, "KZ-KAR": 4, "KZ-AKT": 4, "KZ-ATY": 3, "KZ-PAV": 3,
    "KZ-VOS": 3, "KZ-ZHA": 3, "KZ-YUZ": 3, "KZ-ALM": 3, "KZ-AKM": 2, "KZ-KUS": 2, "KZ-ZAP": 2,
    "KZ-MAN": 2, "KZ-KZY": 2, "KZ-SEV": 2, "KZ-ABY": 1, "KZ-ZHT": 1, "KZ-ULY": 1,
    "KZ": 6, None: 6, "RU": 1, "UZ": 0.5, "KG": 0.5,
}  # fmt: skip
REGIONS = tuple(_REGION_WEIGHTS.items())
# Per-vendor chance of being ticked in a custom choice, by the vendor's first purpose.
CUSTOM_TICK = {"security": 0.8, "analytics": 0.55, "marketing": 0.2}
CUSTOM_PATTERNS = 12


# --- sampling ----------------------------------------------------------------------------------


def binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n <= 48:
        return sum(rng.random() < p for _ in range(n))
    mean = n * p
    draw = round(rng.gauss(mean, math.sqrt(mean * (1.0 - p))))
    return min(n, max(0, draw))


def multinomial(rng: random.Random, n: int, weights: Sequence[float]) -> list[int]:
    """n split over categories by weight (sequential conditional binomials)."""
    counts = []
    left = sum(weights)
    for weight in weights[:-1]:
        x = binomial(rng, n, weight / left) if left > 0 else 0
        counts.append(x)
        n -= x
        left -= weight
    counts.append(n)
    return counts


def daily_volumes(rng: random.Random, days: list[date], total: int) -> list[int]:
    """Events per day summing to `total`: weekly rhythm, growth over the year, campaigns, noise."""
    weights = []
    for index, day in enumerate(days):
        weight = (0.8 if day.weekday() >= 5 else 1.0) * (0.85 + 0.3 * index / max(1, len(days)))
        if index % 120 in range(60, 67):  # a week-long campaign every four months
            weight *= 1.6
        weights.append(weight * rng.uniform(0.9, 1.1))
    scale = total / sum(weights)
    volumes = [int(w * scale) for w in weights]
    volumes[-1] += total - sum(volumes)
    return volumes


# --- events of each kind, made by the real consent model ---------------------------------------


@dataclass(frozen=True)
class Kind:
    """One way of answering the banner: an action and, for custom, the boxes ticked."""

    action: str
    choices: dict[str, bool] | None
    weight: float


def kinds(catalogue: Catalogue, rng: random.Random) -> list[Kind]:
    found = []
    for action, weight in ACTIONS:
        if action != "custom":
            found.append(Kind(action, None, weight))
            continue
        for _ in range(CUSTOM_PATTERNS):
            choices = {
                v.id: rng.random() < CUSTOM_TICK.get(v.purposes[0], 0.5) for v in catalogue.vendors
            }
            found.append(Kind("custom", choices, weight / CUSTOM_PATTERNS))
    return found


def new_event(
    catalogue: Catalogue,
    kind: Kind,
    *,
    at: datetime,
    site: str = "default",
    language: str = "ru",
    device: str = "mobile",
    region: str | None = "KZ-ALA",
    is_bot: bool = False,
) -> NewEvent:
    decision = decide(catalogue, kind.action, kind.choices)
    return NewEvent(
        event_id=secrets.token_urlsafe(12), consent_id=secrets.token_urlsafe(18), site=site,
        action=kind.action, status=str(decision.status), grants=decision.grants,
        purposes=decision.purposes(catalogue), revision=catalogue.revision,
        catalogue_hash=catalogue.content_hash, language=language, page="https://creditplus.kz/",
        region=region, device_class=device, is_bot=is_bot, ip_prefix="203.0.113.0/24",
        ip_hmac=secrets.token_hex(32), gpc=False, recorded_at=at,
        expires_at=expires_at(at, catalogue),
    )  # fmt: skip


# --- the counters ten million events leave -----------------------------------------------------

Key = tuple[str, date, str, str, str]  # dimension, day, site, value, outcome


def _breakdown_values(catalogue: Catalogue, at: datetime) -> dict[str, list[tuple[str, float]]]:
    """Per breakdown dimension: (the value counter_rows stores, weight) for each value we draw."""
    kind = Kind("accept_all", None, 1.0)
    out: dict[str, list[tuple[str, float]]] = {name: [] for name in stats.BREAKDOWNS}
    for name, table, field in (
        ("language", LANGUAGES, "language"),
        ("device", DEVICES, "device"),
        ("region", REGIONS, "region"),
    ):
        for value, weight in table:
            rows = stats.counter_rows(new_event(catalogue, kind, at=at, **{field: value}))
            stored = next(r["value"] for r in rows if r["dimension"] == name)
            out[name].append((stored, weight))
    return out


def synthetic_counters(
    catalogue: Catalogue, total: int, days: list[date], seed: int
) -> Counter[Key]:
    rng = random.Random(seed)
    at = datetime.now(UTC)
    human_kinds = kinds(catalogue, rng)
    # Each kind's increments as counter_rows makes them (breakdown values filled in below).
    templates = [stats.counter_rows(new_event(catalogue, kind, at=at)) for kind in human_kinds]
    bot_templates = [
        stats.counter_rows(new_event(catalogue, Kind(a, None, w), at=at, is_bot=True))
        for a, w in BOT_ACTIONS
    ]
    breakdowns = _breakdown_values(catalogue, at)
    split_weights = {name: [w for _, w in values] for name, values in breakdowns.items()}
    kind_weights = [k.weight for k in human_kinds]
    site_weights = [w for _, w in SITES]
    counters: Counter[Key] = Counter()
    for day, volume in zip(days, daily_volumes(rng, days, total), strict=True):
        for (site, _), events in zip(SITES, multinomial(rng, volume, site_weights), strict=True):
            bots = binomial(rng, events, BOT_SHARE)
            for rows, n in zip(
                bot_templates, multinomial(rng, bots, [w for _, w in BOT_ACTIONS]), strict=True
            ):
                for row in rows:
                    if n:
                        counters[(row["dimension"], day, site, row["value"], row["outcome"])] += n
            for rows, n in zip(
                templates, multinomial(rng, events - bots, kind_weights), strict=True
            ):
                if not n:
                    continue
                for row in rows:
                    dimension, outcome = row["dimension"], row["outcome"]
                    if dimension not in split_weights:
                        counters[(dimension, day, site, row["value"], outcome)] += n
                        continue
                    values = breakdowns[dimension]
                    for (value, _), x in zip(
                        values, multinomial(rng, n, split_weights[dimension]), strict=True
                    ):
                        if x:
                            counters[(dimension, day, site, value, outcome)] += x
    return counters


def monthly_counters(counters: Counter[Key]) -> Counter[Key]:
    """The same counters rolled up by month (the key's day becomes the month's first day)."""
    months: Counter[Key] = Counter()
    for (dimension, day, site, value, outcome), n in counters.items():
        months[(dimension, day.replace(day=1), site, value, outcome)] += n
    return months


def bulk_insert(engine: Any, counters: Counter[Key], table: Any = consent_stats) -> None:
    period = "month" if "month" in table.c else "day"
    names = ("dimension", period, "site", "value", "outcome")
    rows = ({**dict(zip(names, key, strict=True)), "count": n} for key, n in counters.items())
    with engine.begin() as conn:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == INSERT_CHUNK:
                conn.execute(insert(table), chunk)
                chunk = []
        if chunk:
            conn.execute(insert(table), chunk)


# The daily counters as they were laid out before the monthly rollup (bench-only copy, "before").
_before = MetaData()
before_stats = Table(
    "bench_consent_stats_before",
    _before,
    Column("dimension", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("count", BigInteger, nullable=False),
)


def before_queries(start: date, end: date) -> list[Any]:
    """The report's two queries as they were before the rollup (all sites)."""
    c = before_stats.c
    total = func.sum(c.count).label("n")
    totals = (
        select(c.dimension, c.value, c.outcome, total)
        .where(
            c.dimension.in_(("action", "bot", *stats.BREAKDOWNS, "vendor", "purpose")),
            c.day.between(start, end),
        )
        .group_by(c.dimension, c.value, c.outcome)
    )
    daily = (
        select(c.day, c.dimension, c.value, c.outcome, total)
        .where(c.dimension.in_(("action", "vendor", "purpose")), c.day.between(start, end))
        .group_by(c.day, c.dimension, c.value, c.outcome)
    )
    return [totals, daily]


# --- real appends -------------------------------------------------------------------------------


@contextmanager
def stats_hook_off() -> Iterator[None]:
    original = counting.count_events
    counting.count_events = lambda conn, events: None  # type: ignore[assignment]
    try:
        yield
    finally:
        counting.count_events = original  # type: ignore[assignment]


@dataclass
class AppendResult:
    hooked: int
    hooked_humans: int
    unhooked: int
    per_event_hook: list[float]
    per_event_nohook: list[float]
    hook_alone_ms: float
    hook_daily_only_ms: float
    seconds: float


def _random_event(catalogue: Catalogue, human_kinds: list[Kind], rng: random.Random) -> NewEvent:
    def pick(table: Sequence[tuple[Any, float]]) -> Any:
        return rng.choices([v for v, _ in table], [w for _, w in table])[0]

    is_bot = rng.random() < BOT_SHARE
    kind = (
        Kind(pick(BOT_ACTIONS), None, 1.0)
        if is_bot
        else rng.choices(human_kinds, [k.weight for k in human_kinds])[0]
    )
    return new_event(
        catalogue, kind, at=datetime.now(UTC), site=pick(SITES), language=pick(LANGUAGES),
        device="bot" if is_bot else pick(DEVICES), region=pick(REGIONS), is_bot=is_bot,
    )  # fmt: skip


def real_appends(
    store: ConsentStore,
    scratch: ConsentStore,
    catalogue: Catalogue,
    target: int,
    nohook_target: int,
    budget_seconds: float,
    seed: int,
) -> AppendResult:
    rng = random.Random(seed + 1)
    human_kinds = kinds(catalogue, random.Random(seed))
    result = AppendResult(0, 0, 0, [], [], 0.0, 0.0, 0.0)
    began = time.perf_counter()
    while result.hooked < target and time.perf_counter() - began < budget_seconds:
        batch = [_random_event(catalogue, human_kinds, rng) for _ in range(APPEND_BLOCK)]
        start = time.perf_counter()
        for event in batch:
            store.append(event)
        result.per_event_hook.append((time.perf_counter() - start) * 1000 / len(batch))
        result.hooked += len(batch)
        result.hooked_humans += sum(not e.is_bot for e in batch)
        if result.unhooked < nohook_target:  # the same work without the stats hook, interleaved
            batch = [_random_event(catalogue, human_kinds, rng) for _ in range(APPEND_BLOCK)]
            with stats_hook_off():
                start = time.perf_counter()
                for event in batch:
                    scratch.append(event)
                result.per_event_nohook.append((time.perf_counter() - start) * 1000 / len(batch))
            result.unhooked += len(batch)
    result.seconds = time.perf_counter() - began
    # The hook on its own: its INSERT … ON CONFLICT statements, one transaction per event as in
    # an append, on the scratch database (whose counters nobody checks); and only the daily one
    # (the hook before the monthly rollup), to show what the rollup costs. (One long rolled-back
    # transaction would exaggerate PostgreSQL's share: every update of the same hot rows then
    # walks all the row versions the transaction has made so far.)
    events = [_random_event(catalogue, human_kinds, rng) for _ in range(500)]
    daily_only = counting._upsert(scratch.engine.dialect.name, consent_stats)
    hooks = {
        "hook_alone_ms": stats.count_event,
        "hook_daily_only_ms": lambda conn, e: conn.execute(daily_only, stats.counter_rows(e)),
    }
    for _ in range(3):  # alternated, best of three: the machine is shared
        for name, hook in hooks.items():
            with scratch.engine.connect() as conn:
                start = time.perf_counter()
                for event in events:
                    with conn.begin():
                        hook(conn, event)
                ms = (time.perf_counter() - start) * 1000 / len(events)
            best = getattr(result, name)
            setattr(result, name, ms if not best else min(best, ms))
    return result


# --- timing the dashboard ----------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_ANSWERS = re.compile(r'id="stat-answers">(\d+)<')


def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, float, float, Any]:
    """(median wall ms, max wall ms, median CPU ms of this process, last result) of `runs` timed
    calls after one untimed warm-up. CPU time is the steadier figure on a shared machine; on
    SQLite it includes the queries, on PostgreSQL it leaves out the server's share."""
    result = action()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), max(times), statistics.median(cpu), result


def signed_in_client(app: Any) -> Any:
    services(app).accounts.create_user("bench", PASSWORD, "admin", actor="bench")
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = _CSRF.search(page)
    assert token, "no CSRF token on the login page"
    form = {"csrf_token": token.group(1), "username": "bench", "password": PASSWORD}
    response = client.post("/admin/login", data=form)
    assert response.status_code in (302, 303), response.status_code
    return client


@dataclass
class Row:
    backend: str
    days: int
    counter_rows: int
    events: int
    report_ms: float
    report_cpu: float
    daily_ms: float  # report(monthly=False)
    daily_cpu: float
    before_ms: float  # the two queries before the rollup, earlier table layout
    before_cpu: float
    page_ms: float
    page_max: float
    page_cpu: float
    page_kb: float


def time_dashboard(
    app: Any, engine: Any, today: date, ranges: Sequence[int], runs: int, backend: str
) -> list[Row]:
    client = signed_in_client(app)
    reporter = stats.ConsentStats(engine)
    rows = []
    for span in ranges:
        start = today - timedelta(days=span - 1)
        timed = median_ms(lambda s=start: reporter.report(s, today), runs)
        report_ms, _, report_cpu, report = timed
        daily_ms, _, daily_cpu, plain = median_ms(
            lambda s=start: reporter.report(s, today, monthly=False), runs
        )
        assert plain == report, "the monthly rollup and the daily counters disagree"

        queries = before_queries(start, today)

        def before(queries: list[Any] = queries) -> None:
            with engine.connect() as conn:
                for query in queries:
                    conn.execute(query).all()

        before_ms, _, before_cpu, _ = median_ms(before, runs)
        url = f"/admin/?from={start.isoformat()}&to={today.isoformat()}"

        def page(url: str = url) -> Any:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response.get_data()

        page_ms, page_max, page_cpu, body = median_ms(page, runs)
        shown = _ANSWERS.search(body.decode())
        assert shown and int(shown.group(1)) == report.answers, "the page shows other numbers"
        with engine.connect() as conn:
            in_range = conn.execute(
                select(func.count()).where(consent_stats.c.day.between(start, today))
            ).scalar_one()
        rows.append(
            Row(
                backend, span, in_range, sum(report.actions.values()) + report.bots,
                report_ms, report_cpu, daily_ms, daily_cpu, before_ms, before_cpu,
                page_ms, page_max, page_cpu, len(body) / 1024,
            )
        )  # fmt: skip
    return rows


# --- one backend -------------------------------------------------------------------------------


def run_backend(
    backend: str, url: str, scratch_url: str, args: argparse.Namespace
) -> tuple[list[Row], AppendResult]:
    catalogue = load_catalogue(CATALOGUE)
    today = stats.stats_day(datetime.now(UTC))
    days = [today - timedelta(days=n) for n in range(args.days - 1, -1, -1)]

    store = ConsentStore(url)
    store.upgrade()
    began = time.perf_counter()
    counters = synthetic_counters(catalogue, args.events, days, args.seed)
    generated = time.perf_counter() - began
    began = time.perf_counter()
    months = monthly_counters(counters)
    bulk_insert(store.engine, counters)
    bulk_insert(store.engine, months, consent_stats_monthly)
    _before.create_all(store.engine)
    bulk_insert(store.engine, counters, before_stats)
    if backend == "postgresql":
        with store.engine.begin() as conn:  # what autovacuum would have done by now
            for table in (consent_stats, consent_stats_monthly, before_stats):
                conn.execute(text(f"ANALYZE {table.name}"))
    inserted = time.perf_counter() - began
    print(
        f"[{backend}] {args.events:,} events over {args.days} days -> {len(counters):,} counter "
        f"rows ({len(counters) / args.days:,.0f} a day) + {len(months):,} monthly rows; generated "
        f"in {generated:.1f} s, inserted (with the 'before' copy) in {inserted:.1f} s",
        flush=True,
    )

    scratch = ConsentStore(scratch_url)
    scratch.upgrade()
    appended = real_appends(
        store, scratch, catalogue, args.appends, args.nohook_appends, args.append_seconds, args.seed
    )
    scratch.close()
    print(
        f"[{backend}] appended {appended.hooked:,} real events through ConsentStore.append in "
        f"{appended.seconds:.0f} s (+ {appended.unhooked:,} without the stats hook, scratch db)",
        flush=True,
    )
    store.close()

    app = create_app(throwaway_settings(url))
    app.config.update(TESTING=True)
    try:
        engine = app.extensions["kelisim"].store.engine
        with engine.connect() as conn:
            total_rows = conn.execute(select(func.count()).select_from(consent_stats)).scalar_one()
        rows = time_dashboard(app, engine, today, args.ranges, args.runs, backend)
    finally:
        app.extensions["kelisim"].close()
    expected = args.events + appended.hooked
    year = next((r for r in rows if r.days >= args.days), None)
    if year is not None and year.events != expected:
        print(f"[{backend}] WARNING: counters hold {year.events:,} events, expected {expected:,}")
    print(f"[{backend}] consent_stats holds {total_rows:,} rows", flush=True)
    return rows, appended


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"kelisim_bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- report ------------------------------------------------------------------------------------


def print_table(rows: list[Row], appends: dict[str, AppendResult]) -> None:
    print()
    print(
        f"{'backend':<10} {'range':>5} {'counter rows':>12} {'events counted':>14} "
        f"{'before ms':>9} {'(cpu)':>6} {'daily ms':>8} {'(cpu)':>6} "
        f"{'report() ms':>11} {'(cpu)':>6} {'page ms':>7} {'(cpu)':>6} {'max':>6} {'KB':>4}  "
        f"page target"
    )
    for r in rows:
        verdict = "ok" if r.page_ms <= PAGE_TARGET_MS else "OVER"
        print(
            f"{r.backend:<10} {r.days:>4}d {r.counter_rows:>12,} {r.events:>14,} "
            f"{r.before_ms:>9.1f} {r.before_cpu:>6.1f} {r.daily_ms:>8.1f} {r.daily_cpu:>6.1f} "
            f"{r.report_ms:>11.1f} {r.report_cpu:>6.1f} {r.page_ms:>7.1f} {r.page_cpu:>6.1f} "
            f"{r.page_max:>6.1f} {r.page_kb:>4.0f}  {verdict} (<= {PAGE_TARGET_MS:.0f} ms)"
        )
    print("(ms = median wall time of the runs; cpu = this process's CPU time; max = slowest run)")
    print(
        "(before = the report's two queries before the monthly rollup, on a copy of the counters "
        "in the earlier rowid layout; daily = report(monthly=False), every day from the daily "
        "counters; report() and page = what the dashboard does now)"
    )
    print()
    print(
        f"append cost per event, ms (median / mean over blocks of {APPEND_BLOCK}; the mean "
        "includes fsync stalls):"
    )

    def cost(blocks: list[float]) -> str:
        if not blocks:
            return "   -- /   --"
        return f"{statistics.median(blocks):5.2f} / {statistics.fmean(blocks):5.2f}"

    for backend, a in appends.items():
        print(
            f"  {backend:<10} with stats hook {cost(a.per_event_hook)}   "
            f"without {cost(a.per_event_nohook)}   "
            f"hook + commit alone (best of 3) {a.hook_alone_ms:4.2f}, "
            f"of which daily upsert only {a.hook_daily_only_ms:4.2f}   "
            f"[{a.hooked:,} + {a.unhooked:,} events]"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--ranges", type=int, nargs="+", default=[30, 365])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--appends", type=int, default=50_000, help="real appends at most")
    parser.add_argument(
        "--append-seconds", type=float, default=90.0, help="time budget for real appends"
    )
    parser.add_argument("--nohook-appends", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    WORK.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}", flush=True)
    rows: list[Row] = []
    appends: dict[str, AppendResult] = {}
    paths = [WORK / "dashboard.sqlite3", WORK / "dashboard-nohook.sqlite3"]
    for path in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    found, appends["sqlite"] = run_backend(
        "sqlite", f"sqlite:///{paths[0]}", f"sqlite:///{paths[1]}", args
    )
    rows += found
    server = os.environ.get(POSTGRES_ENV)
    if server:
        with postgres_database(server) as url, postgres_database(server) as scratch_url:
            found, appends["postgresql"] = run_backend("postgresql", url, scratch_url, args)
        rows += found
    else:
        print(f"(set {POSTGRES_ENV} to run the same on PostgreSQL)")
    print_table(rows, appends)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
