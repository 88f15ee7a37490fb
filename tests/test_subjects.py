"""Subject requests (Law 94-V Art. 25(2)(8)): block, unblock and destroy through the admin UI, the
API treating a blocked consent as none, and the retention purge — with the chain still verifying."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kelisim.cli.main import main
from kelisim.store import NewEvent
from kelisim.store.schema import consent_events
from kelisim.web.admin.shell import services
from tests.support.admin import add_user, csrf_token, login


def _consent(client, consent_body, **changes) -> dict:
    response = client.post("/api/v1/consent", json=consent_body(**changes))
    assert response.status_code == 201
    return response.get_json()


def _request(client, action: str, consent_id: str, reason: str = "обращение №17", **extra):
    token = csrf_token(client, "/admin/requests")
    data = {"csrf_token": token, "consent_id": consent_id, "reason": reason, **extra}
    return client.post(f"/admin/requests/{action}", data=data)


def _verify_cli(database_url: str, monkeypatch, capsys) -> str:
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    code = main(["db", "verify"])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, monkeypatch):
    """The CLI reads Settings.from_env: keep its generated secrets out of the checkout."""
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def officer(app):
    add_user(app, "officer", "admin")
    client = app.test_client()
    login(client, "officer")
    return client


def test_block_makes_the_api_say_blocked_and_unblock_restores(app, client, consent_body, officer):
    given = _consent(client, consent_body)
    assert _request(officer, "block", given["consent_id"]).status_code == 303
    verdict = client.post("/api/v1/consent/verify", json={"token": given["token"]}).get_json()
    assert verdict == {"valid": False, "reason": "blocked"}
    history = client.get(f"/api/v1/consent/{given['consent_id']}").get_json()
    assert history["current"]["valid"] is False
    receipt = client.get(f"/consent/{given['consent_id']}?lang=en").get_data(as_text=True)
    assert "blocked after a data-subject request" in receipt
    page = officer.get(f"/admin/consent-log?consent_id={given['consent_id']}")
    assert 'id="blocked"' in page.get_data(as_text=True)
    # A second block is refused with a message, not a second row.
    again = _request(officer, "block", given["consent_id"])
    assert again.status_code == 400 and "уже заблокировано" in again.get_data(as_text=True)

    assert _request(officer, "unblock", given["consent_id"]).status_code == 303
    verdict = client.post("/api/v1/consent/verify", json={"token": given["token"]}).get_json()
    assert verdict["valid"] is True

    entries = services(app).audit.list(limit=10)
    actions = [e.action for e in entries]
    assert actions[:2] == ["subject.unblock", "subject.block"]
    assert all(e.actor == "officer" and e.after["reason"] == "обращение №17" for e in entries[:2])
    # The audit log names the consent by a keyed hash, never by the id itself.
    assert all(given["consent_id"] not in str(e) for e in entries)


def test_a_reason_is_required_and_unknown_ids_are_refused(client, consent_body, officer):
    given = _consent(client, consent_body)
    assert _request(officer, "block", given["consent_id"], reason="  ").status_code == 400
    assert _request(officer, "block", "A" * 24).status_code == 400
    assert _request(officer, "destroy", given["consent_id"]).status_code == 400  # unconfirmed


def test_destroy_blanks_personal_fields_and_the_chain_still_verifies(
    app, client, consent_body, officer, database_url, monkeypatch, capsys
):
    given = _consent(client, consent_body, page="https://creditplus.kz/loans")
    _consent(client, consent_body, action="reject_all", consent_id=given["consent_id"])
    other = _consent(client, consent_body)
    response = _request(officer, "destroy", given["consent_id"], confirm="yes")
    assert response.status_code == 303
    store = app.extensions["kelisim"].store
    assert store.history(given["consent_id"]) == []
    with store.engine.connect() as conn:
        rows = conn.execute(select(consent_events).order_by(consent_events.c.seq)).mappings().all()
    destroyed = [r for r in rows if r["redacted"]]
    assert len(destroyed) == 2
    for row in destroyed:
        assert row["consent_id"] == ""
        assert (row["page"], row["region"], row["ip_prefix"], row["ip_hmac"]) == (None,) * 4
        assert row["action"] in ("accept_all", "reject_all")  # the decision itself stays
    assert store.history(other["consent_id"])  # nobody else's records touched
    assert "ok: 3 events verified" in _verify_cli(database_url, monkeypatch, capsys)
    assert client.get(f"/api/v1/consent/{given['consent_id']}").status_code == 404
    entry = services(app).audit.list(limit=1)[0]
    assert entry.action == "subject.destroy" and entry.after["events"] == 2


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_destroy_and_viewers_cannot_block(app, client, consent_body, role):
    given = _consent(client, consent_body)
    add_user(app, "staff", role)
    staff = app.test_client()
    login(staff, "staff")
    token = csrf_token(staff, "/admin/")
    form = {"csrf_token": token, "consent_id": given["consent_id"], "reason": "x", "confirm": "yes"}
    assert staff.post("/admin/requests/destroy", data=form).status_code == 403
    blocked = staff.post("/admin/requests/block", data=form).status_code
    assert blocked == (403 if role == "viewer" else 303)
    assert app.extensions["kelisim"].store.history(given["consent_id"])
    if role == "viewer":
        assert staff.get("/admin/requests").status_code == 403
        assert staff.get("/admin/consent-log").status_code == 403


def _old_event(app, consent_id: str, action: str, status: str, at: datetime) -> None:
    catalogue = app.extensions["kelisim"].catalogue
    app.extensions["kelisim"].store.append(
        NewEvent(
            event_id=secrets.token_urlsafe(12), consent_id=consent_id, site="default",
            action=action, status=status,
            grants=dict.fromkeys(catalogue.vendor_ids, status == "given"), purposes={},
            revision=catalogue.revision, catalogue_hash=catalogue.content_hash, language="ru",
            page="https://creditplus.kz/", region="KZ", device_class="desktop", is_bot=False,
            ip_prefix="203.0.113.0/24", ip_hmac="ab" * 32, gpc=False, recorded_at=at,
            expires_at=at + timedelta(days=catalogue.consent_lifetime_days),
        )
    )  # fmt: skip


def test_purge_destroys_consents_ended_past_retention_and_verify_passes(
    app, officer, database_url, monkeypatch, capsys
):
    from kelisim.web.admin.requests import subjects

    now = datetime(2030, 6, 1, tzinfo=UTC)
    withdrawn, expired, recent, blocked = (secrets.token_urlsafe(18) for _ in range(4))
    _old_event(app, withdrawn, "accept_all", "given", now - timedelta(days=1500))
    _old_event(app, withdrawn, "withdraw", "withdrawn", now - timedelta(days=1200))
    _old_event(app, expired, "accept_all", "given", now - timedelta(days=1400))  # ended 1220 ago
    _old_event(app, recent, "withdraw", "withdrawn", now - timedelta(days=30))
    _old_event(app, blocked, "reject_all", "refused", now - timedelta(days=1400))
    with app.test_request_context():
        service = subjects()
        service.block(blocked, "dispute", "officer")
        dry = service.purge(1095, now=now, dry_run=True)
        assert (dry.consents, dry.events, dry.skipped_blocked) == (2, 3, 1)
        store = app.extensions["kelisim"].store
        assert store.history(withdrawn)  # a dry run changes nothing
        report = service.purge(1095, now=now)
    assert (report.consents, report.events) == (2, 3)
    assert store.history(withdrawn) == [] and store.history(expired) == []
    assert len(store.history(recent)) == 1 and len(store.history(blocked)) == 1
    assert "ok: 5 events verified" in _verify_cli(database_url, monkeypatch, capsys)
    assert services(app).audit.list(limit=1)[0].action == "subject.purge"


def test_the_purge_command_has_a_dry_run(app, database_url, monkeypatch, capsys):
    ended = secrets.token_urlsafe(18)
    _old_event(app, ended, "reject_all", "refused", datetime.now(UTC) - timedelta(days=2000))
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    assert main(["db", "purge", "--dry-run"]) == 0
    assert (
        "would destroy the personal fields of 1 consent(s), 1 event(s)" in capsys.readouterr().out
    )
    assert app.extensions["kelisim"].store.history(ended)
    assert main(["db", "purge"]) == 0
    assert "destroyed the personal fields of 1 consent(s)" in capsys.readouterr().out
    assert app.extensions["kelisim"].store.history(ended) == []
    assert main(["db", "verify"]) == 0
