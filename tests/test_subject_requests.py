"""Subject requests from the receipt page (Law 94-V Art. 24–25): a visitor asks to block, destroy or
get a copy; the request is due at the end of the next working day; staff close it from the queue
through the same audited actions as the requests page; `kelisim requests overdue` alerts on what
is late. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import inspect, select

from kelisim.cli.main import main
from kelisim.domain.workdays import ALMATY
from kelisim.services.notify import NotifySettings
from kelisim.store.request_tables import metadata as request_metadata
from kelisim.store.request_tables import subject_requests as requests_table
from kelisim.web.admin.shell import services
from kelisim.web.admin.subject_requests import NOTIFY_CONFIG
from tests.support.admin import Clock, add_user, csrf_token, login

# Tuesday 1 December 2026, 10:00 in Almaty: due at the end of Wednesday 2 December.
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=ALMATY)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REFERENCE = re.compile(r'id="request-reference">([A-Z0-9]+)<')


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on loopback standing in for the operator's mail server."""
    inbox = _Inbox()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The sink's envelope log names recipients by design; it is not a Kelisim log.
    sink_log = logging.getLogger("mail.log")
    previous = sink_log.level
    sink_log.setLevel(logging.WARNING)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
        sink_log.setLevel(previous)


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, monkeypatch):
    """The CLI reads Settings.from_env: keep its generated secrets out of the checkout."""
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    for name in ("KELISIM_PRIVACY_OFFICER_EMAIL", "KELISIM_REQUESTS_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock(app) -> Clock:
    moving = Clock(app)
    moving.now = TUESDAY
    return moving


def _consent(client, consent_body, **changes) -> dict:
    response = client.post("/api/v1/consent", json=consent_body(**changes))
    assert response.status_code == 201
    return response.get_json()


def _file(visitor, consent_id: str, lang: str = "en", **form):
    page = visitor.get(f"/consent/{consent_id}?lang={lang}").get_data(as_text=True)
    token = _CSRF.search(page).group(1)
    return visitor.post(
        f"/consent/{consent_id}/requests", data={"csrf_token": token, "lang": lang, **form}
    )


def _rows(app) -> list[dict]:
    with app.extensions["kelisim"].store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(requests_table)).mappings()]


def _staff(app, role: str, name: str | None = None):
    name = name or role
    add_user(app, name, role)
    client = app.test_client()
    login(client, name)
    return client


def _close(staff, reference: str, action: str, **form):
    token = csrf_token(staff, "/admin/subject-requests")
    return staff.post(
        f"/admin/subject-requests/{reference}/{action}", data={"csrf_token": token, **form}
    )


# -- the visitor's side -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "due_text", "accepted"),
    [
        ("ru", "2 декабря 2026, 23:59 по времени Алматы (UTC+5)", "Ваш запрос принят."),
        ("kk", "2026 жылғы 2 желтоқсан, 23:59 Алматы уақытымен (UTC+5)", "Сұрауыңыз қабылданды."),
        ("en", "2 December 2026, 23:59 Almaty time (UTC+5)", "Your request has been received."),
    ],
)
def test_a_visitor_files_a_request_and_sees_when_it_is_due(
    app, client, consent_body, clock, lang, due_text, accepted
):
    given = _consent(client, consent_body, language=lang)
    receipt = client.get(f"/consent/{given['consent_id']}").get_data(as_text=True)
    assert 'id="subject-request"' in receipt and 'name="kind" value="destroy"' in receipt

    response = _file(
        client, given["consent_id"], lang, kind="block", contact="aigerim@example.kz",
        message="Я не давала согласия на Метрику",
    )  # fmt: skip
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<html lang="{lang}">' in html
    assert accepted in html and due_text in html
    assert "script" not in html and page.headers["Cache-Control"] == "no-store"
    reference = _REFERENCE.search(html).group(1)

    [row] = _rows(app)
    assert row["reference"] == reference and row["kind"] == "block"
    assert row["contact"] == "aigerim@example.kz" and row["language"] == lang
    assert row["due_at"] == datetime(2026, 12, 2, 23, 59, 59, tzinfo=ALMATY)
    assert row["closed_at"] is None
    # The receipt lists the request with its status.
    receipt = client.get(f"/consent/{given['consent_id']}?lang=en").get_data(as_text=True)
    assert reference in receipt and "in progress" in receipt


def test_the_same_request_twice_is_one_request(app, client, consent_body, clock):
    given = _consent(client, consent_body)
    first = _file(client, given["consent_id"], kind="destroy")
    second = _file(client, given["consent_id"], kind="destroy")
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already received" in html
    _file(client, given["consent_id"], kind="copy")
    assert sorted(r["kind"] for r in _rows(app)) == ["copy", "destroy"]


def test_a_request_without_the_csrf_token_is_refused(app, client, consent_body):
    given = _consent(client, consent_body)
    client.get(f"/consent/{given['consent_id']}")
    response = client.post(
        f"/consent/{given['consent_id']}/requests", data={"kind": "block", "lang": "en"}
    )
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "The form has expired" in response.get_data(as_text=True)
    assert _rows(app) == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose what should be done with your data."),
        ({"kind": "erase-everything"}, "Choose what should be done with your data."),
        ({"kind": "block", "contact": "x" * 201}, "The contact is too long (200 characters"),
        ({"kind": "block", "contact": "a@b.kz\nBcc: all@b.kz"}, "The contact must be one line"),
        ({"kind": "copy", "message": "m" * 2001}, "The message is too long (2000 characters"),
        ({"kind": "copy", "message": "hi\x1b[2J"}, "The message contains characters"),
    ],
)
def test_bad_input_is_a_400_page_that_says_which_field(app, client, consent_body, form, message):
    given = _consent(client, consent_body)
    response = _file(client, given["consent_id"], **form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert message in html and 'id="subject-request-error"' in html
    assert "Traceback" not in html
    assert _rows(app) == []


def test_a_body_over_the_size_limit_is_a_413_page(app, client, consent_body):
    given = _consent(client, consent_body)
    response = _file(client, given["consent_id"], kind="copy", message="ж" * 20000)
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert _rows(app) == []


def test_an_unknown_consent_is_a_404_page(app, client, consent_body):
    given = _consent(client, consent_body)
    token = _CSRF.search(client.get(f"/consent/{given['consent_id']}").get_data(as_text=True))
    for consent_id in ("E" * 24, "not-an-id"):
        response = client.post(
            f"/consent/{consent_id}/requests", data={"csrf_token": token.group(1), "kind": "copy"}
        )
        assert response.status_code == 404 and response.mimetype == "text/html"
    assert client.get(f"/consent/{given['consent_id']}/requests/ABCDEFGH").status_code == 404
    assert _rows(app) == []


def test_a_confirmation_is_only_shown_under_its_own_consent(app, client, consent_body, clock):
    mine = _consent(client, consent_body)
    other = _consent(client, consent_body)
    location = _file(client, mine["consent_id"], kind="copy").headers["Location"]
    reference = location.split("/requests/")[1].split("?")[0]
    assert client.get(location).status_code == 200
    assert client.get(f"/consent/{other['consent_id']}/requests/{reference}").status_code == 404


def test_one_consent_cannot_flood_the_queue(app, client, consent_body):
    given = _consent(client, consent_body)
    answers = [_file(client, given["consent_id"], kind="copy").status_code for _ in range(7)]
    assert answers[:6] == [303] * 6
    limited = _file(client, given["consent_id"], kind="block")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many requests" in limited.get_data(as_text=True)
    assert len(_rows(app)) == 1


# -- the staff side -----------------------------------------------------------------------------


def test_the_queue_lists_open_requests_by_due_date_and_marks_overdue(
    app, client, consent_body, clock
):
    first = _consent(client, consent_body)
    second = _consent(client, consent_body)
    _file(client, second["consent_id"], kind="copy")  # Tuesday: due Wednesday
    clock.now = TUESDAY + timedelta(days=1)
    _file(client, first["consent_id"], kind="block")  # Wednesday: due Thursday
    editor = _staff(app, "editor")
    page = editor.get("/admin/subject-requests").get_data(as_text=True)
    assert 'href="/admin/subject-requests"' in page  # in the navigation
    rows = re.findall(r'<tr id="sreq-([A-Z0-9]+)" data-kind="(\w+)"', page)
    assert [kind for _, kind in rows] == ["copy", "block"]
    assert "data-overdue" not in page and 'id="sreq-overdue"' not in page  # nothing late yet

    clock.now = datetime(2026, 12, 3, 0, 30, tzinfo=ALMATY)  # Wednesday is over
    login(editor, "editor")  # the idle session ended meanwhile
    page = editor.get("/admin/subject-requests").get_data(as_text=True)
    assert page.count('data-overdue="1"') == 1
    assert "Просрочено запросов: 1." in page
    assert re.search(r'data-kind="copy" class="overdue" data-overdue="1"', page)


def test_blocking_from_the_queue_blocks_the_consent_and_closes_the_request(
    app, client, consent_body, clock
):
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="block")
    [row] = _rows(app)
    editor = _staff(app, "editor")
    response = _close(editor, row["reference"], "block", note="обращение по телефону")
    assert response.status_code == 303
    verdict = client.post("/api/v1/consent/verify", json={"token": given["token"]}).get_json()
    assert verdict == {"valid": False, "reason": "blocked"}
    [row] = _rows(app)
    assert (row["outcome"], row["closed_by"]) == ("blocked", "editor")
    page = editor.get("/admin/subject-requests").get_data(as_text=True)
    assert 'id="sreq-none"' in page
    assert row["reference"] in page.split('id="sreq-closed"')[1]

    entries = services(app).audit.list(limit=10)
    actions = [e.action for e in entries if e.action.startswith("subject")]
    assert actions[:3] == ["subject_request.close", "subject.block", "subject_request.received"]
    assert entries[0].action == "subject_request.close" and entries[0].after["late"] is False
    # The audit log never holds the consent id, the contact or the message.
    assert all(given["consent_id"] not in str(e) for e in entries)
    # A second close is refused.
    assert _close(editor, row["reference"], "block").status_code == 400


def test_destroying_needs_an_admin_and_leaves_nothing_of_the_visitor(
    app, client, consent_body, clock
):
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="destroy", contact="+7 701 000 00 00", message="всё")
    _file(client, given["consent_id"], kind="copy")
    reference = next(r["reference"] for r in _rows(app) if r["kind"] == "destroy")
    editor = _staff(app, "editor")
    assert _close(editor, reference, "destroy", confirm="yes").status_code == 403
    admin = _staff(app, "admin")
    assert _close(admin, reference, "destroy").status_code == 400  # not confirmed
    assert app.extensions["kelisim"].store.history(given["consent_id"])
    assert _close(admin, reference, "destroy", confirm="yes").status_code == 303

    assert app.extensions["kelisim"].store.history(given["consent_id"]) == []
    rows = _rows(app)
    assert all(
        r["consent_id"] == "" and r["contact"] is None and r["message"] is None for r in rows
    )
    assert all(r["outcome"] == "destroyed" for r in rows)  # the copy request is moot too
    assert client.get(f"/consent/{given['consent_id']}").status_code == 404
    assert [e.action for e in services(app).audit.list(limit=2)] == [
        "subject_request.close",
        "subject.destroy",
    ]


def test_a_destruction_by_consent_id_also_empties_the_queue_rows(app, client, consent_body, clock):
    given = _consent(client, consent_body)
    other = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="copy", contact="aigerim@example.kz", message="м")
    _file(client, other["consent_id"], kind="copy", contact="dana@example.kz")
    admin = _staff(app, "admin")
    token = csrf_token(admin, "/admin/requests")
    form = {"csrf_token": token, "consent_id": given["consent_id"], "reason": "письмо №3"}
    assert admin.post("/admin/requests/destroy", data={**form, "confirm": "yes"}).status_code == 303
    rows = {r["reference"]: r for r in _rows(app)}
    mine = next(r for r in rows.values() if r["consent_id"] in ("", given["consent_id"]))
    assert (mine["consent_id"], mine["contact"], mine["message"]) == ("", None, None)
    assert any(r["contact"] == "dana@example.kz" for r in rows.values())  # nobody else's
    # The emptied request can still be closed: what was asked for is done.
    assert (
        _close(admin, mine["reference"], "decline", note="уничтожено по письму").status_code == 303
    )


def test_a_copy_is_mailed_to_the_visitor(app, client, consent_body, clock, smtp_sink):
    inbox, port = smtp_sink
    app.config[NOTIFY_CONFIG] = NotifySettings(smtp_host="127.0.0.1", smtp_port=port)
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], "kk", kind="copy", contact="aigerim@example.kz")
    [row] = _rows(app)
    editor = _staff(app, "editor")
    assert "E-mail the copy and close" in editor.get("/admin/subject-requests?lang=en").get_data(
        as_text=True
    )
    assert _close(editor, row["reference"], "copy").status_code == 303
    [(recipients, raw)] = inbox.messages
    assert recipients == ["aigerim@example.kz"]
    mail = message_from_bytes(raw, policy=default_policy)
    body = mail.get_content()
    assert row["reference"] in mail["Subject"] and "көшірмесін" in body
    assert f"/consent/{given['consent_id']}?lang=kk" in body
    assert _rows(app)[0]["outcome"] == "copy_sent"
    assert services(app).audit.list(limit=2)[1].action == "subject.copy"


def test_a_copy_without_an_email_needs_a_note_and_declining_needs_a_reason(
    app, client, consent_body, clock
):
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="copy", contact="+7 701 000 00 00")
    _file(client, given["consent_id"], kind="block")
    rows = {r["kind"]: r["reference"] for r in _rows(app)}
    editor = _staff(app, "editor")
    assert _close(editor, rows["copy"], "copy").status_code == 400
    assert _close(editor, rows["copy"], "copy", note="выдана в офисе").status_code == 303
    assert _close(editor, rows["block"], "decline", note=" ").status_code == 400
    assert _close(editor, rows["block"], "decline", note="не наш сайт").status_code == 303
    outcomes = {r["kind"]: (r["outcome"], r["note"]) for r in _rows(app)}
    assert outcomes == {
        "copy": ("copy_sent", "выдана в офисе"),
        "block": ("declined", "не наш сайт"),
    }
    # A declined block leaves the consent as it was.
    verdict = client.post("/api/v1/consent/verify", json={"token": given["token"]}).get_json()
    assert verdict["valid"] is True


def test_viewers_see_no_queue(app, client, consent_body, clock):
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="block")
    [row] = _rows(app)
    viewer = _staff(app, "viewer")
    assert viewer.get("/admin/subject-requests").status_code == 403
    assert 'href="/admin/subject-requests"' not in viewer.get("/admin/").get_data(as_text=True)
    token = csrf_token(viewer, "/admin/")
    refused = viewer.post(
        f"/admin/subject-requests/{row['reference']}/block", data={"csrf_token": token}
    )
    assert refused.status_code == 403 and _rows(app)[0]["closed_at"] is None


# -- the overdue alert --------------------------------------------------------------------------


def _overdue_cli(database_url, monkeypatch, capsys, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    code = main(["requests", "overdue", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_overdue_exits_0_then_1_and_names_no_visitor(
    app, client, consent_body, clock, database_url, monkeypatch, capsys
):
    given = _consent(client, consent_body)
    assert _overdue_cli(database_url, monkeypatch, capsys)[0] == 0
    _file(client, given["consent_id"], kind="destroy", contact="aigerim@example.kz")
    # Filed on Tuesday 1 December 2026: overdue since Wednesday night, long past today.
    code, out, err = _overdue_cli(database_url, monkeypatch, capsys)
    assert code == 1, err
    [row] = _rows(app)
    assert row["reference"] in out and "destroy" in out and "2026-12-02 23:59 Almaty" in out
    assert given["consent_id"] not in out + err and "aigerim" not in out + err
    # Closed, it is no longer overdue.
    admin = _staff(app, "admin")
    assert _close(admin, row["reference"], "destroy", confirm="yes").status_code == 303
    assert _overdue_cli(database_url, monkeypatch, capsys)[0] == 0


def test_overdue_notify_mails_the_privacy_officer(
    app, client, consent_body, clock, database_url, monkeypatch, capsys, smtp_sink
):
    inbox, port = smtp_sink
    given = _consent(client, consent_body)
    _file(client, given["consent_id"], kind="copy", contact="aigerim@example.kz")
    # No recipient configured: it cannot notify, which is an error, not a quiet success.
    code, _, err = _overdue_cli(database_url, monkeypatch, capsys, "--notify")
    assert code == 2 and "KELISIM_PRIVACY_OFFICER_EMAIL" in err
    monkeypatch.setenv("KELISIM_PRIVACY_OFFICER_EMAIL", "dpo@creditplus.kz")
    monkeypatch.setenv("KELISIM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KELISIM_SMTP_PORT", str(port))
    code, _, err = _overdue_cli(database_url, monkeypatch, capsys, "--notify")
    assert code == 1, err
    [(recipients, raw)] = inbox.messages
    assert recipients == ["dpo@creditplus.kz"]
    body = message_from_bytes(raw, policy=default_policy).get_content()
    assert _rows(app)[0]["reference"] in body and "/admin/subject-requests" in body
    assert given["consent_id"] not in body and "aigerim" not in body
    # The mail server gone: the alert failed, and the exit code says so.
    monkeypatch.setenv("KELISIM_SMTP_PORT", "1")
    assert _overdue_cli(database_url, monkeypatch, capsys, "--notify")[0] == 2


def test_overdue_on_a_database_without_the_schema_exits_2(tmp_path, monkeypatch, capsys):
    code, _, err = _overdue_cli(f"sqlite:///{tmp_path / 'empty.sqlite3'}", monkeypatch, capsys)
    assert code == 2 and "kelisim db upgrade" in err


def test_a_bad_holidays_file_stops_the_start_with_its_line(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "holidays.txt"
    bad.write_text("2026-05-27 holiday\n2026-13-01 holiday\n", encoding="utf-8")
    monkeypatch.setenv("KELISIM_HOLIDAYS_FILE", str(bad))
    from kelisim.domain.workdays import WorkCalendarError
    from kelisim.settings import Settings
    from kelisim.web.app import create_app

    settings = Settings.from_env().with_changes(database_url=f"sqlite:///{tmp_path / 'k.db'}")
    with pytest.raises(WorkCalendarError, match=r"holidays\.txt:2: '2026-13-01' is not a date"):
        create_app(settings)


def test_production_refuses_a_bad_holidays_file_before_any_worker_starts(tmp_path):
    from kelisim.cli.production import ProductionError, check_holidays
    from kelisim.settings import Settings

    bad = tmp_path / "holidays.txt"
    bad.write_text("2026-05-27 kurban\n", encoding="utf-8")
    settings = Settings.from_env({"KELISIM_VAR_DIR": str(tmp_path / "var")})
    check_holidays(settings)  # negative control: no file is fine
    with pytest.raises(ProductionError, match=r"holidays\.txt:1: 'kurban' is neither"):
        check_holidays(settings.with_changes(holidays_file=bad))


# -- the schema ---------------------------------------------------------------------------------


def test_the_migration_creates_the_table_as_the_code_describes_it(app):
    inspector = inspect(app.extensions["kelisim"].store.engine)
    for table in request_metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(columns) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
        indexes = {tuple(i["column_names"]) for i in inspector.get_indexes(table.name)}
        assert ("closed_at", "due_at") in indexes


def test_the_migration_goes_down_to_0009_and_up_again(app, database_url):
    from alembic import command
    from alembic.config import Config

    from kelisim.store import MIGRATIONS

    services = app.extensions["kelisim"]
    store = services.store
    # An operator migrates a stopped server: the checkpointer's first signing, still reading
    # audit_head, would otherwise deadlock with the DROP TABLE.
    services.checkpoints.close()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.write_engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    assert "subject_requests" not in inspect(store.engine).get_table_names()
    store.upgrade()
    assert "subject_requests" in inspect(store.engine).get_table_names()
    assert json.dumps(_rows(app)) == "[]"


def test_every_visitor_text_exists_in_every_language():
    from kelisim.web.receipt.subject_request import LABELS

    keys = {language: set(labels) for language, labels in LABELS.items()}
    assert set(keys) == {"ru", "kk", "en"}
    assert keys["ru"] == keys["kk"] == keys["en"]
    assert all(len(labels["months"].split()) == 12 for labels in LABELS.values())
