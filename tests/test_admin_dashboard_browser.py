"""In real Chromium, what issue 6 says the admin must show: the dashboard's rates and charts for
consents recorded through the API; a consent found in the log with its history and the exact texts
shown; its destruction through Subject requests (with the confirmation) while `kelisim db verify`
still passes; a blocked consent answered as `blocked` by the API; and a date range exported as CSV
and ISO/IEC TS 27560 JSON files that the browser downloads."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from kelisim.cli.main import main
from kelisim.services.evidence import CSV_FIELDS, csv_cell, missing_27560_fields
from kelisim.services.stats import stats_day
from kelisim.store.schema import consent_events
from kelisim.web.admin.texts import text
from tests.support.admin import PASSWORD, add_user, with_admin

pytestmark = pytest.mark.browser

DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def ru(key: str, **values: object) -> str:
    """The admin's Russian text for `key` (the staff browser below asks for ru-RU)."""
    return text(key, "ru", **values)


class _QuietHandler(WSGIRequestHandler):
    """No request lines: they would carry the consent ids searched for in the query string.
    Production's access log writes the path only (kelisim.cli.production); the dev server writes it
    all."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, monkeypatch):
    """`kelisim db verify` reads Settings.from_env: keep generated secrets out of the checkout."""
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def admin_url(app) -> Iterator[str]:
    """The real app on a loopback port, addressed as http://localhost (a secure context)."""
    with_admin(app)
    add_user(app, "officer", "admin")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def staff(chromium, admin_url) -> Iterator[Page]:
    """An admin signed in through the login form, on the dashboard."""
    context = chromium.new_context(locale="ru-RU", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{admin_url}/admin/")
        page.fill("#username", "officer")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{admin_url}/admin/")
        yield page
    finally:
        context.close()


def record(app, consent_body, **changes) -> dict:
    """One consent through the real API, as a desktop browser's banner would send it."""
    client = app.test_client()
    response = client.post(
        "/api/v1/consent", json=consent_body(**changes), headers={"User-Agent": DESKTOP_UA}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f} %"


def test_the_dashboard_shows_rates_and_labelled_charts(app, consent_body, staff, admin_url):
    vendor_ids = app.extensions["kelisim"].catalogue.vendor_ids
    given = [
        record(app, consent_body, action="accept_all"),
        record(app, consent_body, action="accept_all", language="kk"),
        record(app, consent_body, action="reject_all"),
        record(app, consent_body, action="custom", choices={vendor_ids[1]: True}),
    ]
    record(app, consent_body, action="withdraw", consent_id=given[0]["consent_id"])

    page = staff
    page.goto(f"{admin_url}/admin/")
    expect(page.locator("h1")).to_have_text(ru("dashboard_title"))
    expect(page.locator("#stat-answers")).to_have_text("4")
    expect(page.locator("#stat-accept_all")).to_have_text("50.0 %")
    expect(page.locator("#stat-reject_all")).to_have_text("25.0 %")
    expect(page.locator("#stat-custom")).to_have_text("25.0 %")
    expect(page.locator("#stat-dismiss")).to_have_text("0.0 %")
    expect(page.locator("#stat-withdraw")).to_have_text("1")
    expect(page.locator("#stat-bots")).to_have_text("0")

    # The charts are images with a name a screen reader announces, and have bars in them.
    overall = page.get_by_role("img", name=ru("dash_choices_title"), exact=True)
    expect(overall).to_be_visible()
    assert overall.locator("rect").count() == 3  # accept, reject, custom (no dismissals)
    daily = page.get_by_role("img", name=ru("dash_daily_title"), exact=True)
    expect(daily).to_be_visible()
    assert daily.locator("rect").count() >= 3
    expect(page.get_by_role("img", name=ru("dash_purposes_daily"), exact=True)).to_be_visible()

    # Per-vendor rates: the share of answers that granted the vendor.
    for vendor_id in vendor_ids[:2]:
        granted = sum(vendor_id in g["granted"] for g in given)
        row = page.locator(f'#vendor-rates tr[data-vendor="{vendor_id}"]')
        expect(row).to_be_visible()
        expect(row.locator("strong")).to_have_text(_pct(granted, len(given)))
        expect(row).to_contain_text(ru("dash_granted_of", granted=granted, total=len(given)))
    # The language breakdown: ru answered 3 times, kk once.
    expect(page.locator("#by-language tr", has_text="kk")).to_contain_text("100.0 %")
    expect(page.locator("#by-device")).to_contain_text("desktop")

    # A range with no events, chosen in the filter form, says so instead of drawing empty charts.
    page.fill("#from", "2020-01-01")
    page.fill("#to", "2020-01-31")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/admin/?from=2020-01-01*")
    expect(page.locator("#stat-answers")).to_have_text("0")
    expect(page.get_by_text(ru("dash_empty"))).to_be_visible()
    expect(page.get_by_role("img", name=ru("dash_daily_title"), exact=True)).to_have_count(0)


def test_find_a_consent_see_its_texts_and_destroy_it(
    app, consent_body, staff, admin_url, database_url, monkeypatch, capsys
):
    first = record(app, consent_body, language="kk", page="https://creditplus.kz/loans")
    consent_id = first["consent_id"]
    record(app, consent_body, action="reject_all", consent_id=consent_id, language="kk")
    other = record(app, consent_body)

    page = staff
    page.click(f"nav.side >> text={ru('nav_consent_log')}")
    page.fill("#consent_id", consent_id)
    page.click("#find")
    page.wait_for_url(f"**/admin/consent-log?consent_id={consent_id}")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text(ru("action_accept_all"))
    expect(history.nth(0)).to_contain_text("https://creditplus.kz/loans")
    expect(history.nth(1)).to_contain_text(ru("action_reject_all"))
    expect(page.locator("#current-status")).to_have_text("refused")
    catalogue = app.extensions["kelisim"].catalogue
    shown = page.locator("section.shown")
    expect(shown).to_have_count(1)  # one catalogue, one language
    expect(shown).to_contain_text(catalogue.content_hash)
    banner_texts = shown.locator("dd.banner-text")
    for key in ("title", "accept_all", "reject_all"):
        expect(banner_texts.filter(has_text=catalogue.texts["kk"][key]).first).to_be_visible()

    # From the consent to its subject request, with the id filled in.
    page.click(f"#consent >> text={ru('nav_requests')}")
    page.wait_for_url("**/admin/requests?consent_id=*")
    expect(page.locator("#req-consent")).to_have_value(consent_id)
    page.fill("#req-reason", "обращение №42: требование уничтожить")
    page.click("#do-destroy")  # without ticking the confirmation: refused, nothing destroyed
    expect(page.locator("#req-error")).to_have_text(ru("req_error_confirm"))
    assert len(app.extensions["kelisim"].store.history(consent_id)) == 2

    page.fill("#req-reason", "обращение №42: требование уничтожить")
    page.check("#req-confirm")
    page.click("#do-destroy")
    page.wait_for_url("**/admin/requests")
    expect(page.locator("#req-done")).to_have_text(ru("req_destroyed", events=2))

    # Gone: the log no longer finds it, and its events keep only the anonymous decision.
    page.goto(f"{admin_url}/admin/consent-log")
    page.fill("#consent_id", consent_id)
    page.click("#find")
    expect(page.locator("#log-error")).to_have_text(ru("log_not_found"))
    store = app.extensions["kelisim"].store
    with store.engine.connect() as conn:
        rows = conn.execute(select(consent_events).order_by(consent_events.c.seq)).mappings().all()
    assert [bool(r["redacted"]) for r in rows] == [True, True, False]
    for row in rows[:2]:
        assert row["consent_id"] == ""
        assert (row["page"], row["region"], row["ip_prefix"], row["ip_hmac"]) == (None,) * 4
    assert [r["action"] for r in rows[:2]] == ["accept_all", "reject_all"]
    assert store.history(other["consent_id"])  # nobody else's records touched

    assert store.verify().ok
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    assert main(["db", "verify"]) == 0
    assert "ok: 3 events verified" in capsys.readouterr().out


def test_block_a_consent_and_the_api_answers_blocked(app, consent_body, staff, admin_url):
    given = record(app, consent_body)
    api = staff.context.request
    verify_url = f"{admin_url}/api/v1/consent/verify"
    assert api.post(verify_url, data={"token": given["token"]}).json()["valid"] is True

    page = staff
    page.goto(f"{admin_url}/admin/requests")
    page.fill("#req-consent", given["consent_id"])
    page.fill("#req-reason", "обращение №43: оспаривает согласие")
    page.click("#do-block")
    page.wait_for_url(f"**/admin/consent-log?consent_id={given['consent_id']}")
    expect(page.locator("#blocked")).to_contain_text("обращение №43")

    verdict = api.post(verify_url, data={"token": given["token"]})
    assert verdict.ok and verdict.json() == {"valid": False, "reason": "blocked"}
    page.goto(f"{admin_url}/admin/requests")
    expect(page.locator("#blocks")).to_contain_text(given["consent_id"])


def test_export_a_date_range_as_csv_and_27560_json(app, consent_body, staff, admin_url):
    vendor_ids = app.extensions["kelisim"].catalogue.vendor_ids
    accepted = record(app, consent_body, action="accept_all")
    custom = record(app, consent_body, action="custom", choices={vendor_ids[0]: True})
    today = stats_day(datetime.now(UTC))
    start, end = (today - timedelta(days=1)).isoformat(), today.isoformat()

    page = staff
    page.goto(f"{admin_url}/admin/consent-log")
    page.fill("#ex-from", start)
    page.fill("#ex-to", end)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="CSV", exact=True).click()
    download = csv_download.value
    assert download.suggested_filename == f"kelisim-consents-{start}-{end}.csv"
    with open(download.path(), encoding="utf-8", newline="") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert tuple(rows[0]) == CSV_FIELDS
    assert len(rows) == 3
    by_id = {row[CSV_FIELDS.index("consent_id")]: row for row in rows[1:]}
    # An id that starts with "-" is written "'-…" so a spreadsheet shows it instead of computing it.
    expected = {csv_cell(accepted["consent_id"]), csv_cell(custom["consent_id"])}
    assert set(by_id) == expected
    assert by_id[csv_cell(custom["consent_id"])][CSV_FIELDS.index("granted")] == vendor_ids[0]

    with page.expect_download() as json_download:
        page.get_by_role("button", name="ISO/IEC TS 27560 JSON").click()
    download = json_download.value
    assert download.suggested_filename == f"kelisim-consents-{start}-{end}.json"
    with open(download.path(), encoding="utf-8") as file:
        document = json.load(file)
    records = document["records"]
    assert {r["header"]["principal_id"] for r in records} == {
        accepted["consent_id"],
        custom["consent_id"],
    }
    assert all(missing_27560_fields(r) == [] for r in records)
    assert accepted["consent_id"] in json.dumps(document)

    # An empty range downloads an empty, still well-formed document.
    page.fill("#ex-from", "2020-01-01")
    page.fill("#ex-to", "2020-01-02")
    with page.expect_download() as empty_download:
        page.get_by_role("button", name="ISO/IEC TS 27560 JSON").click()
    with open(empty_download.value.path(), encoding="utf-8") as file:
        assert json.load(file)["records"] == []
