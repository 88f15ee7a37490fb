"""Native apps: record, register the device, link web and app to a customer, withdraw on the web,
and the app's next verify says withdrawn — with no raw device or customer id anywhere in the DB."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from kelisim.services.audit import AuditLog
from kelisim.settings import Settings
from kelisim.store.integration_tables import metadata as integration_metadata
from tests.conftest import make_settings

LINK_TOKEN = "link-token-" + "x" * 32
ANDROID = "Kelisim-Test-App/1.0 (Linux; Android 14; Pixel 8) okhttp/4.12"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, customer_link_tokens=(LINK_TOKEN,))


def _record(client, consent_body, **changes) -> dict:
    headers = {"User-Agent": ANDROID}
    if changes.get("site", "default") != "app":
        headers["Origin"] = "http://127.0.0.1:5000"
    response = client.post("/api/v1/consent", json=consent_body(**changes), headers=headers)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _link(client, token: str, customer_id: str, bearer: str | None = LINK_TOKEN):
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return client.post(
        "/api/v1/consent/link", json={"token": token, "customer_id": customer_id}, headers=headers
    )


def _verify(client, token: str) -> dict:
    response = client.post("/api/v1/consent/verify", json={"token": token})
    assert response.status_code == 200
    return response.get_json()


def test_withdrawal_on_the_web_reaches_the_linked_app(client, consent_body, database_url) -> None:
    device_id = "android-" + secrets.token_hex(16)
    customer_id = "CUST-" + secrets.token_hex(8)

    app_consent = _record(client, consent_body, site="app", page=None, language="kk")
    assert app_consent["status"] == "given" and "firebase_analytics" in app_consent["granted"]
    assert app_consent["receipt_url"].endswith(app_consent["consent_id"])
    registered = client.post(
        "/api/v1/app/devices", json={"token": app_consent["token"], "device_id": device_id}
    )
    assert registered.status_code == 200, registered.get_json()
    assert _link(client, app_consent["token"], customer_id).get_json()["linked_consents"] == 1

    web_consent = _record(client, consent_body, site="default")
    linked = _link(client, web_consent["token"], customer_id)
    assert linked.status_code == 200 and linked.get_json()["linked_consents"] == 2
    assert _verify(client, app_consent["token"])["status"] == "given"

    withdraw = consent_body(site="default", action="withdraw", consent_id=web_consent["consent_id"])
    response = client.post(
        "/api/v1/consent", json=withdraw, headers={"Origin": "http://127.0.0.1:5000"}
    )
    assert response.status_code == 201 and response.get_json()["status"] == "withdrawn"

    answer = _verify(client, app_consent["token"])
    assert answer["valid"] is True
    assert answer["status"] == "withdrawn"
    assert answer["granted"] == []
    assert answer["token"] != app_consent["token"]

    # The app's own history and receipt show the withdrawal as an event of its consent.
    history = client.get(f"/api/v1/consent/{app_consent['consent_id']}").get_json()
    assert [event["action"] for event in history["events"]] == ["accept_all", "withdraw"]
    receipt = client.get(f"/consent/{app_consent['consent_id']}?lang=en")
    assert "consent withdrawn" in receipt.get_data(as_text=True)

    _assert_absent(database_url, [device_id, customer_id])


def test_a_withdrawal_on_the_receipt_page_reaches_the_app_too(client, consent_body, app) -> None:
    customer_id = "CUST-" + secrets.token_hex(8)
    app_consent = _record(client, consent_body, site="app", page=None)
    web_consent = _record(client, consent_body, site="default")
    for consent in (app_consent, web_consent):
        assert _link(client, consent["token"], customer_id).status_code == 200

    page = client.get(f"/consent/{web_consent['consent_id']}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"lang": "ru", "csrf_token": csrf.group(1) if csrf else ""}
    if csrf is None:
        app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(f"/consent/{web_consent['consent_id']}/withdraw", data=form)
    assert response.status_code == 303
    assert _verify(client, app_consent["token"])["status"] == "withdrawn"


def test_a_grant_on_one_device_is_not_a_grant_on_another(client, consent_body) -> None:
    customer_id = "CUST-" + secrets.token_hex(8)
    app_consent = _record(client, consent_body, site="app", action="reject_all", page=None)
    web_consent = _record(client, consent_body, site="default")
    for consent in (app_consent, web_consent):
        _link(client, consent["token"], customer_id)
    assert _verify(client, app_consent["token"])["status"] == "refused"
    assert _verify(client, web_consent["token"])["status"] == "given"


def test_an_unlinked_consent_is_not_touched(client, consent_body) -> None:
    app_consent = _record(client, consent_body, site="app", page=None)
    _link(client, app_consent["token"], "CUST-1")
    web_consent = _record(client, consent_body, site="default")
    _link(client, web_consent["token"], "CUST-2")
    withdraw = consent_body(site="default", action="withdraw", consent_id=web_consent["consent_id"])
    client.post("/api/v1/consent", json=withdraw, headers={"Origin": "http://127.0.0.1:5000"})
    assert _verify(client, app_consent["token"])["status"] == "given"


def test_linking_needs_the_lenders_token(client, consent_body) -> None:
    consent = _record(client, consent_body, site="app", page=None)
    for bearer in (None, "wrong-token"):
        response = _link(client, consent["token"], "CUST-1", bearer=bearer)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"


def test_a_device_is_registered_once_and_only_for_app_consents(client, consent_body) -> None:
    app_consent = _record(client, consent_body, site="app", page=None)
    first = {"token": app_consent["token"], "device_id": "device-A"}
    assert client.post("/api/v1/app/devices", json=first).status_code == 200
    assert client.post("/api/v1/app/devices", json=first).status_code == 200  # a retry
    other = {"token": app_consent["token"], "device_id": "device-B"}
    assert client.post("/api/v1/app/devices", json=other).status_code == 409

    web_consent = _record(client, consent_body, site="default")
    web = {"token": web_consent["token"], "device_id": "device-A"}
    response = client.post("/api/v1/app/devices", json=web)
    assert response.status_code == 403
    assert response.get_json()["errors"][0]["field"] == "token"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"device_id": "x"}, "token"),
        ({"token": "t", "device_id": ""}, "device_id"),
        ({"token": "t", "device_id": "x" * 300}, "device_id"),
        ({"token": "t", "device_id": 5}, "device_id"),
        ({"token": "t", "device_id": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_device_registrations_are_400(client, body, field) -> None:
    response = client.post("/api/v1/app/devices", json=body)
    assert response.status_code == 400
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_a_tampered_token_is_refused(client, consent_body) -> None:
    consent = _record(client, consent_body, site="app", page=None)
    forged = consent["token"][:-4] + ("AAAA" if not consent["token"].endswith("AAAA") else "BBBB")
    response = client.post("/api/v1/app/devices", json={"token": forged, "device_id": "d-1"})
    assert response.status_code == 401
    assert _link(client, forged, "CUST-1").status_code == 404


def test_the_app_site_has_no_origins_and_refuses_browser_posts(client, consent_body) -> None:
    response = client.post(
        "/api/v1/consent",
        json=consent_body(site="app"),
        headers={"Origin": "http://127.0.0.1:5000"},
    )
    assert response.status_code == 403


def test_the_tables_match_the_migration(database_url, app) -> None:
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        for table in integration_metadata.sorted_tables:
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            assert columns == {column.name for column in table.columns}, table.name
    finally:
        engine.dispose()


def _assert_absent(database_url: str, secrets_: list[str]) -> None:
    """Reads every row of every table as text: no raw identifier may be anywhere."""
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        names = inspector.get_table_names()
        assert {"app_devices", "customer_links", "consent_events"} <= set(names)
        with engine.connect() as conn:
            rows_seen = 0
            for name in names:
                quoted = engine.dialect.identifier_preparer.quote(name)
                for row in conn.execute(text(f"SELECT * FROM {quoted}")):
                    rows_seen += 1
                    dump = " ".join(str(value) for value in row)
                    for secret in secrets_:
                        assert secret not in dump, f"raw identifier in table {name}"
            assert rows_seen > 0
            device_rows = conn.execute(select(text("device_hmac")).select_from(text("app_devices")))
            assert all(re.fullmatch(r"[0-9a-f]{64}", row[0]) for row in device_rows)
    finally:
        engine.dispose()


def test_destroying_a_consent_forgets_its_device_and_customer(client, consent_body, app) -> None:
    from kelisim.services.subjects import Subjects
    from kelisim.store.integration_tables import app_devices, customer_links

    consent = _record(client, consent_body, site="app", page=None)
    client.post("/api/v1/app/devices", json={"token": consent["token"], "device_id": "dev-1"})
    _link(client, consent["token"], "CUST-9")
    store = app.extensions["kelisim"].store
    subjects = Subjects(store.engine, store.write_engine, AuditLog(store.write_engine), b"k" * 32)
    subjects.destroy(consent["consent_id"], "subject request 42", "admin")
    with store.engine.connect() as conn:
        for table in (app_devices, customer_links):
            assert conn.execute(select(table)).all() == []
