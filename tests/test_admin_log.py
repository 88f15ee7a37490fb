"""The consent log: find a consent and see its history with the exact texts shown; export a date
range as CSV and as ISO/IEC TS 27560-style JSON with every mandatory field on every record."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from kelisim.services.evidence import CSV_FIELDS, missing_27560_fields
from kelisim.services.stats import stats_day
from kelisim.web.admin.shell import services
from tests.support.admin import add_user, login


def _editor(app):
    add_user(app, "privacy", "editor")
    client = app.test_client()
    login(client, "privacy")
    return client


def test_find_a_consent_shows_its_history_and_the_texts_shown(app, client, consent_body):
    first = client.post("/api/v1/consent", json=consent_body(language="kk")).get_json()
    body = consent_body(action="reject_all", consent_id=first["consent_id"], language="kk")
    client.post("/api/v1/consent", json=body)
    editor = _editor(app)
    page = editor.get(f"/admin/consent-log?consent_id={first['consent_id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<tr>") >= 3  # header + two events
    assert "Принять все" in html and "Отклонить все" in html
    texts = app.extensions["kelisim"].catalogue.texts["kk"]
    assert texts["title"] in html and texts["accept_all"] in html
    assert app.extensions["kelisim"].catalogue.content_hash in html
    missing = editor.get("/admin/consent-log?consent_id=AAAAAAAAAAAAAAAAAAAAAAAA")
    assert missing.status_code == 404


def test_exports_stream_csv_and_complete_27560_records_for_a_range(app, client, consent_body):
    vendor_ids = app.extensions["kelisim"].catalogue.vendor_ids
    for action, choices in (("accept_all", None), ("custom", {vendor_ids[0]: True})):
        body = consent_body(action=action, **({"choices": choices} if choices else {}))
        assert client.post("/api/v1/consent", json=body).status_code == 201
    editor = _editor(app)
    today = stats_day(datetime.now(UTC))
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}

    response = editor.get("/admin/consent-log/export.csv", query_string=span)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 3
    assert {row[CSV_FIELDS.index("action")] for row in rows[1:]} == {"accept_all", "custom"}

    response = editor.get("/admin/consent-log/export.json", query_string=span)
    assert response.status_code == 200 and response.is_streamed
    document = json.loads(response.get_data(as_text=True))
    records = document["records"]
    assert len(records) == 2
    for record in records:
        assert missing_27560_fields(record) == []
        processing = record["processing"]
        assert processing["jurisdiction"] == "KZ" and processing["storage_locations"] == ["KZ"]
        assert processing["controllers"][0]["name"]
        assert "bin" in processing["controllers"][0]
        assert all("country" in r and "cross_border" in r for r in processing["recipients"])
        assert processing["withdrawal_method"]["url"].endswith(record["header"]["principal_id"])
        assert record["events"][0]["state"] == "dpv:ConsentGiven"
    custom = next(r for r in records if r["events"][0]["action"] == "custom")
    granted = [r["id"] for r in custom["processing"]["recipients"] if r["granted"]]
    assert granted == [vendor_ids[0]]

    old = {"from": "2020-01-01", "to": "2020-01-02"}
    assert (
        json.loads(editor.get("/admin/consent-log/export.json", query_string=old).data)["records"]
        == []
    )
    assert [e.action for e in services(app).audit.list(limit=3)][:3] == ["consent_log.export"] * 3
    assert editor.get("/admin/consent-log/export.csv?from=x&to=y").status_code == 400


def test_an_export_without_dates_says_which_dates_to_give(app):
    editor = _editor(app)
    for query in ("", "?from=2026-01-01", "?from=x&to=y"):
        response = editor.get(f"/admin/consent-log/export.csv{query}")
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "Bad Request" not in page
        assert 'id="log-error"' in page
        assert "YYYY-MM-DD" in page or "ГГГГ-ММ-ДД" in page
