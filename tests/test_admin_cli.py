"""`kelisim users …` through main_users(), as the `kelisim` command will call it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from kelisim.cli import users as cli_users
from kelisim.cli.users import main_users
from kelisim.services.accounts import Accounts
from kelisim.services.audit import AuditLog
from kelisim.store import ConsentStore

PASSWORD = "correct horse battery staple"


@pytest.fixture
def migrated(settings):
    store = ConsentStore(settings.database_url)
    store.upgrade()
    store.close()
    return settings


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, as an operator's shell is."""

    def isatty(self) -> bool:
        return True


def run(settings, *argv: str, stdin: str = "", terminal: bool = False):
    out, err = io.StringIO(), io.StringIO()
    given = Terminal(stdin) if terminal else io.StringIO(stdin)
    code = main_users(list(argv), settings, stdin=given, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _accounts(settings) -> tuple[Accounts, Engine]:
    engine = create_engine(settings.database_url)
    return Accounts(engine, throttle_key="k"), engine


def test_users_add_list_disable_enable(migrated):
    code, out, _ = run(
        migrated, "add", "Boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert (code, out.strip()) == (0, "ok: added boss (admin)")
    assert run(migrated, "add", "aigerim", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0

    code, out, _ = run(migrated, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["USERNAME", "ROLE", "STATUS"]
    assert lines[1].split()[:4] == ["aigerim", "viewer", "active", "never"]
    assert lines[2].split()[:3] == ["boss", "admin", "active"]

    assert run(migrated, "disable", "aigerim")[0] == 0
    assert "aigerim   " in run(migrated, "list")[1] and "disabled" in run(migrated, "list")[1]
    assert run(migrated, "enable", "aigerim")[0] == 0
    assert run(migrated, "set-role", "aigerim", "editor")[0] == 0

    accounts, engine = _accounts(migrated)
    try:
        assert accounts.authenticate("boss", PASSWORD, None).ok
        user = accounts.find("aigerim")
        assert (user.role, user.disabled) == ("editor", False)
        actions = [(e.actor, e.action, e.target) for e in AuditLog(engine).list()]
        assert ("cli", "user.add", "boss") in actions
        assert ("cli", "user.disable", "aigerim") in actions
    finally:
        engine.dispose()


def test_users_add_prompts_twice_without_echo(migrated, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(cli_users.getpass, "getpass", lambda prompt: next(answers))
    assert run(migrated, "add", "boss", "--role", "admin", terminal=True)[0] == 0

    answers = iter([PASSWORD, "something different"])
    code, _, err = run(migrated, "add", "other", terminal=True)
    assert code == 1 and "differ" in err


def test_users_add_without_a_terminal_or_password_stdin_says_what_to_do(migrated, tmp_path):
    """From a script, cron or CI (stdin not a terminal): a clear error, no traceback."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "KELISIM_DATABASE_URL": migrated.database_url,
        "KELISIM_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "kelisim.cli.main", "users", "add", "boss", "--role", "admin"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "--password-stdin" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_password_is_never_a_command_line_argument(migrated):
    code, _, _ = run(migrated, "add", "boss", "--password", PASSWORD)
    assert code == 2


def test_users_refuses_weak_passwords_duplicates_and_the_last_admin(migrated):
    code, _, err = run(migrated, "add", "boss", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 12" in err
    run(migrated, "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    code, _, err = run(migrated, "add", "BOSS", "--password-stdin", stdin=PASSWORD)
    assert code == 1 and "already exists" in err
    code, _, err = run(migrated, "disable", "boss")
    assert code == 1 and "last active admin" in err
    code, _, err = run(migrated, "disable", "nobody")
    assert code == 1 and "no account" in err


def test_users_on_a_database_without_the_schema_says_what_to_run(settings):
    code, _, err = run(settings, "list")
    assert code == 2 and "kelisim db upgrade" in err


def test_set_password_ends_the_accounts_sessions(migrated):
    run(migrated, "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    accounts, engine = _accounts(migrated)
    try:
        token = accounts.start_session(accounts.find("boss"))
        assert accounts.resume_session(token) is not None
        new = "another long passphrase here"
        assert run(migrated, "set-password", "boss", "--password-stdin", stdin=new + "\n")[0] == 0
        assert accounts.resume_session(token) is None
        assert accounts.authenticate("boss", new, None).ok
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "weak, reason",
    [
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("qwertyuiop[]", "common passwords"),
        ("boss.boss.boss", "too easy to guess"),
        ("1qaz2wsx3edc", "common passwords"),
        ("Password1234!", "common passwords"),
    ],
)
def test_common_and_guessable_passwords_are_refused(migrated, weak, reason):
    code, _, err = run(migrated, "add", "boss", "--password-stdin", stdin=weak + "\n")
    assert code == 1 and reason in err, err


def test_the_common_password_list_is_real_and_shipped_as_package_data():
    from importlib.resources import files

    text = files("kelisim.domain").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    words = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(words) >= 30_000 and words[:3] == ["123456", "password", "12345678"]
    assert "MIT" in text.splitlines()[2] or "MIT" in text[:600]
