"""Consent statistics: counters kept in the append transaction equal a direct count of the log,
and the dashboard shows them."""

from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from kelisim.services.stats import ConsentStats, full_months, stats_day
from kelisim.store import NewEvent
from kelisim.store.schema import consent_events
from kelisim.store.stats_tables import consent_stats, consent_stats_monthly, metadata
from tests.support.admin import add_user, login

BOT_UA = "Googlebot/2.1 (+http://www.google.com/bot.html)"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _post(client, consent_body, ua=None, **changes):
    headers = {"User-Agent": ua} if ua else {}
    response = client.post("/api/v1/consent", json=consent_body(**changes), headers=headers)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


@pytest.fixture
def mixed(client, consent_body, app):
    vendor_ids = app.extensions["kelisim"].catalogue.vendor_ids
    first = _post(client, consent_body, action="accept_all", language="ru")
    _post(client, consent_body, action="reject_all", language="kk", ua=PHONE_UA)
    _post(client, consent_body, action="custom", choices={vendor_ids[0]: True}, language="en")
    _post(client, consent_body, action="custom", choices={vendor_ids[1]: False})
    _post(client, consent_body, action="dismiss", ua=PHONE_UA)
    _post(client, consent_body, action="accept_all", ua=BOT_UA)
    _post(client, consent_body, action="withdraw", consent_id=first["consent_id"])
    body = consent_body(action="accept_all")
    client.post("/api/v1/consent", json=body)
    client.post("/api/v1/consent", json=body)  # a retry: counted once
    return vendor_ids


def test_counters_equal_a_direct_count_of_the_log(app, mixed):
    store = app.extensions["kelisim"].store
    with store.engine.connect() as conn:
        rows = conn.execute(select(consent_events)).mappings().all()
    assert len(rows) == 8
    humans = [r for r in rows if not r["is_bot"]]
    answers = [r for r in humans if r["action"] != "withdraw"]
    expected_actions = Counter(r["action"] for r in humans)
    expected_language = Counter((r["language"], r["action"]) for r in humans)
    expected_device = Counter((r["device_class"], r["action"]) for r in humans)
    expected_vendor = Counter(
        (vendor, "granted" if granted else "denied")
        for r in answers
        for vendor, granted in json.loads(r["grants"]).items()
    )
    expected_purpose = Counter(
        (purpose, state) for r in answers for purpose, state in json.loads(r["purposes"]).items()
    )
    today = stats_day(datetime.now(UTC))
    report = ConsentStats(store.engine).report(today - timedelta(days=1), today + timedelta(days=1))
    assert Counter(report.actions) == expected_actions
    assert report.bots == 1
    assert report.answers == len(answers) == 6
    got_language = Counter(
        {(v, a): n for v, c in report.breakdown["language"].items() for a, n in c.items()}
    )
    assert got_language == expected_language
    got_device = Counter(
        {(v, a): n for v, c in report.breakdown["device"].items() for a, n in c.items()}
    )
    assert got_device == expected_device
    assert "mobile" in report.breakdown["device"]
    assert Counter({(v, o): n for v, c in report.vendors.items() for o, n in c.items()}) == (
        expected_vendor
    )
    assert Counter({(p, s): n for p, c in report.purposes.items() for s, n in c.items()}) == (
        expected_purpose
    )
    assert sum(report.daily[today].values()) == len(humans)
    # Outside the range: nothing.
    empty = ConsentStats(store.engine).report(today - timedelta(days=9), today - timedelta(days=5))
    assert empty.actions == {} and empty.bots == 0


def test_a_day_is_a_kazakhstan_day(app):
    store = app.extensions["kelisim"].store
    catalogue = app.extensions["kelisim"].catalogue
    late = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 01:30 on 2 March in Almaty
    store.append(
        NewEvent(
            event_id=secrets.token_urlsafe(12), consent_id=secrets.token_urlsafe(18),
            site="default", action="reject_all", status="refused",
            grants=dict.fromkeys(catalogue.vendor_ids, False), purposes={}, revision=1,
            catalogue_hash=catalogue.content_hash, language="ru", page=None, region="KZ-ALA",
            device_class="desktop", is_bot=False, ip_prefix=None, ip_hmac=None, gpc=False,
            recorded_at=late, expires_at=late + timedelta(days=180),
        )
    )  # fmt: skip
    report = ConsentStats(store.engine).report(late.date(), late.date() + timedelta(days=1))
    assert list(report.daily) == [late.date() + timedelta(days=1)]
    assert report.breakdown["region"] == {"KZ-ALA": {"reject_all": 1}}


def test_migrated_schema_matches_the_query_tables(app):
    inspector = inspect(app.extensions["kelisim"].store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)


def test_the_dashboard_shows_the_numbers_and_charts(app, client, mixed):
    add_user(app, "marketer", "viewer")
    login(client, "marketer")
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="stat-answers">6<' in html
    assert 'id="stat-bots">1<' in html
    assert 'id="stat-withdraw">1<' in html
    assert 'id="stat-accept_all">33.3 %<' in html  # 2 of 6 answers
    assert "<svg" in html and 'role="img"' in html
    assert f'data-vendor="{mixed[0]}"' in html
    assert "<script" not in html and " style=" not in html
    # A range without events says so instead of drawing empty charts.
    empty = client.get("/admin/?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert 'id="stat-answers">0<' in empty and "За этот период ответов нет." in empty
    # Rubbish in the filters falls back to the default range rather than failing.
    assert client.get("/admin/?from=yesterday&to=&site=nope").status_code == 200


def _event(catalogue, at, rng, site="default"):
    action = rng.choice(["accept_all", "reject_all", "custom", "dismiss", "withdraw"])
    states = ("granted", "partial", "denied")
    return NewEvent(
        event_id=secrets.token_urlsafe(12), consent_id=secrets.token_urlsafe(18), site=site,
        action=action, status="given",
        grants={v: rng.random() < 0.5 for v in catalogue.vendor_ids[:3]},
        purposes={p.id: rng.choice(states) for p in catalogue.purposes[:2]}, revision=1,
        catalogue_hash=catalogue.content_hash, language=rng.choice(["ru", "kk", "en"]),
        page=None, region=rng.choice(["KZ-ALA", "KZ-AST", None]),
        device_class=rng.choice(["mobile", "desktop"]),
        is_bot=rng.random() < 0.1, ip_prefix=None, ip_hmac=None, gpc=False, recorded_at=at,
        expires_at=at + timedelta(days=180),
    )  # fmt: skip


def _as_dict(report):
    return {
        "actions": report.actions, "bots": report.bots, "daily": report.daily,
        "breakdown": report.breakdown, "vendors": report.vendors, "purposes": report.purposes,
        "vendor_daily": report.vendor_daily, "purpose_daily": report.purpose_daily,
    }  # fmt: skip


def test_monthly_rollups_give_the_numbers_of_the_daily_counters(app):
    """Whole months summed from consent_stats_monthly plus partial months from the daily counters
    equal every day summed from the daily counters, and the monthly rows are the daily rows rolled
    up by Kazakhstan month."""
    store = app.extensions["kelisim"].store
    catalogue = app.extensions["kelisim"].catalogue
    rng = random.Random(4)
    # 28 February 20:30 UTC is 01:30 on 1 March in Kazakhstan: a March event.
    moments = [datetime(2026, 2, 28, 20, 30, tzinfo=UTC), datetime(2026, 1, 31, 18, 59, tzinfo=UTC)]
    moments += [
        datetime(2025, 12, 20, 9, tzinfo=UTC) + timedelta(days=rng.randrange(0, 160), hours=n % 24)
        for n in range(90)
    ]
    for n, at in enumerate(moments):
        store.append(_event(catalogue, at, rng, site="cabinet" if n % 3 == 0 else "default"))

    with store.engine.connect() as conn:
        daily = conn.execute(select(consent_stats)).mappings().all()
        monthly = conn.execute(select(consent_stats_monthly)).mappings().all()
    rolled: Counter = Counter()
    for row in daily:
        day = row["day"] if not isinstance(row["day"], str) else date.fromisoformat(row["day"])
        key = (row["dimension"], day.replace(day=1), row["value"], row["outcome"], row["site"])
        rolled[key] += row["count"]
    got = Counter(
        {
            (r["dimension"], r["month"] if not isinstance(r["month"], str) else
             date.fromisoformat(r["month"]), r["value"], r["outcome"], r["site"]): r["count"]
            for r in monthly
        }
    )  # fmt: skip
    assert got == rolled
    assert any(key[1] == date(2026, 3, 1) for key in got)  # the Kazakhstan-day event above

    stats = ConsentStats(store.engine)
    ranges = [
        (date(2025, 12, 20), date(2026, 5, 31)),  # mid-month start, month-end end
        (date(2026, 1, 1), date(2026, 4, 30)),  # whole months only
        (date(2026, 1, 15), date(2026, 4, 10)),  # mid-month at both ends
        (date(2026, 1, 31), date(2026, 3, 1)),  # one whole month, one day either side
        (date(2026, 2, 3), date(2026, 2, 25)),  # inside one month: no whole month
        (date(2026, 2, 1), date(2026, 2, 28)),  # exactly one month
        (date(2025, 6, 1), date(2026, 12, 31)),  # more than the data
    ]
    assert full_months(*ranges[2]) == (date(2026, 2, 1), date(2026, 3, 1))
    assert full_months(*ranges[4]) is None
    for start, end in ranges:
        for site in (None, "cabinet"):
            rollup = stats.report(start, end, site)
            plain = stats.report(start, end, site, monthly=False)
            assert _as_dict(rollup) == _as_dict(plain), (start, end, site)
    whole = stats.report(date(2025, 6, 1), date(2026, 12, 31))
    assert sum(whole.actions.values()) + whole.bots == len(moments)
