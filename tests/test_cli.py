"""The `kelisim` command, called through main() as a shell would, against real databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from kelisim.cli.main import main
from kelisim.web.logsafe import redacted_path


@pytest.fixture
def kelisim_env(monkeypatch, tmp_path, database_url):
    """Point the command at the test database, with its secrets kept under tmp_path."""
    monkeypatch.setenv("KELISIM_DATABASE_URL", database_url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("KELISIM_CATALOGUE", raising=False)
    return database_url


def test_db_upgrade_then_verify_on_an_empty_log(kelisim_env, capsys):
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "verify"]) == 0
    assert "ok: 0 events verified" in capsys.readouterr().out


def test_db_verify_reports_a_flipped_byte(kelisim_env, client, consent_body, capsys):
    for action in ("accept_all", "reject_all", "accept_all"):
        response = client.post(
            "/api/v1/consent",
            data=json.dumps(consent_body(action=action, page="https://creditplus.kz/loan")),
            content_type="application/json",
        )
        assert response.status_code == 201
    assert main(["db", "verify"]) == 0
    assert "ok: 3 events verified" in capsys.readouterr().out

    engine = create_engine(kelisim_env)
    try:
        with engine.begin() as conn:
            seq, page = conn.execute(
                text("SELECT seq, page FROM consent_events ORDER BY seq LIMIT 1 OFFSET 1")
            ).one()
            flipped = page[:-1] + chr(ord(page[-1]) ^ 1)
            conn.execute(
                text("UPDATE consent_events SET page = :page WHERE seq = :seq"),
                {"page": flipped, "seq": seq},
            )
    finally:
        engine.dispose()

    assert main(["db", "verify"]) == 1
    captured = capsys.readouterr()
    assert f"leaf {seq - 1}: content changed" in captured.out
    assert f"first bad leaf: {seq - 1}" in captured.out
    assert "problem:" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_db_verify_without_a_schema_says_to_upgrade(kelisim_env, capsys):
    assert main(["db", "verify"]) == 2
    captured = capsys.readouterr()
    assert "kelisim db upgrade" in captured.err
    assert "Traceback" not in captured.err


def test_unreachable_database_is_one_clear_line(monkeypatch, tmp_path, capsys):
    url = "postgresql+psycopg://kelisim:hunter2@127.0.0.1:9/kelisim?connect_timeout=2"
    monkeypatch.setenv("KELISIM_DATABASE_URL", url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    assert main(["db", "upgrade"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "127.0.0.1:9" in lines[0]
    assert "hunter2" not in captured.err
    assert "Traceback" not in captured.err


def test_bad_catalogue_lists_its_problems_and_exits_2(monkeypatch, tmp_path, sqlite_url, capsys):
    broken = tmp_path / "vendors.yaml"
    broken.write_text("schema: 1\nrevision: zero\nvendors: 5\n", encoding="utf-8")
    monkeypatch.setenv("KELISIM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KELISIM_CATALOGUE", str(broken))
    assert main(["serve", "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert "vendors.yaml:" in captured.err
    assert "Traceback" not in captured.err


def test_usage_errors_exit_2_without_a_traceback(capsys):
    assert main(["frobnicate"]) == 2
    assert main(["serve", "--production"]) == 2
    assert main(["--help"]) == 0
    assert "serve" in capsys.readouterr().out


def test_request_log_paths_hide_consent_ids_and_queries():
    assert redacted_path("/consent/AbCdEfGhIjKlMnOpQrStUvWx?lang=ru") == "/consent/<id>"
    assert redacted_path("/api/v1/consent/AbCdEfGhIjKlMnOpQrStUvWx/x") == "/api/v1/consent/<id>/x"
    assert redacted_path("/api/v1/config?site=default") == "/api/v1/config"


def test_users_help_exits_0_and_shows_the_actions(capsys):
    assert main(["users", "--help"]) == 0
    out = capsys.readouterr().out
    assert "add" in out and "--demo" in out


def test_users_add_with_demo_writes_to_the_database_the_demo_serves(
    monkeypatch, tmp_path, sqlite_url, capsys
):
    """The account made as the demo prints works on the demo's admin login, not elsewhere."""
    import io

    from kelisim.demo.run import demo_admin_command, kelisim_cmp
    from kelisim.settings import DEFAULT_CATALOGUE
    from tests.support.admin import PASSWORD, login

    state_dir = tmp_path / "demo"
    monkeypatch.setenv("KELISIM_DATABASE_URL", sqlite_url)  # the server's own, configured database
    monkeypatch.setenv("KELISIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("KELISIM_CATALOGUE", raising=False)
    demo_app = kelisim_cmp(state_dir, DEFAULT_CATALOGUE)
    try:
        printed = demo_admin_command(state_dir).split()
        assert printed[:2] == ["kelisim", "users"] and "--demo" in printed
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert main([*printed[1:], "--password-stdin"]) == 0
        response = login(demo_app.test_client(), "admin")
        assert response.status_code == 302 and "/admin/login" not in response.location
    finally:
        demo_app.extensions["kelisim"].close()
    assert main(["db", "upgrade"]) == 0
    assert main(["users", "list"]) == 0
    assert "no accounts yet" in capsys.readouterr().out  # the configured database got nothing


def test_help_ends_with_the_exit_code_table(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out
    assert "  1  checked and found wrong" in out and "  2  could not run" in out


def test_the_scanner_keeps_the_numbers_of_the_exit_code_table():
    from kelisim.commands import ExitCode
    from kelisim.scanner import triage

    assert (triage.EXIT_CLEAN, triage.EXIT_FINDINGS, triage.EXIT_USAGE) == (0, 1, 2)
    assert (ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR) == (0, 1, 2)
    assert triage.EXIT_UNREACHABLE == ExitCode.UNREACHABLE
