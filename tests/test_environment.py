"""The one table of KELISIM_* variables (kelisim.environment): nothing read that is not declared,
nothing declared that is not read, docs/settings.md generated from it, and no secret in a repr."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kelisim.environment import VARIABLES, markdown, read
from kelisim.services.notify import NotifySettings
from kelisim.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SOURCE = PROJECT_ROOT / "src" / "kelisim"
# Flask config keys, not environment variables: tests and the demo set them in code.
CONFIG_KEYS = {"KELISIM_ADMIN_CLOCK", "KELISIM_NOTIFY_SETTINGS", "KELISIM_STATIC_DIR"}
DEMO_CONFIG_KEYS = {"KELISIM_CMP_URL", "KELISIM_CATALOGUE"}  # the demo site's app.config


def _names_in_source() -> set[str]:
    """Every string constant of the package that is a whole KELISIM_* name."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"KELISIM_[A-Z0-9_]*[A-Z0-9]", node.value)
            ):
                found.add(node.value)
    return found


def test_every_variable_the_code_reads_is_declared_and_every_declared_one_is_read() -> None:
    declared = {variable.name for variable in VARIABLES}
    in_source = _names_in_source() - CONFIG_KEYS
    assert in_source - declared - DEMO_CONFIG_KEYS == set(), "declare these in environment.py"
    assert declared - in_source == set(), "declared but never read"
    assert len(declared) == len(VARIABLES), "a variable is declared twice"
    assert all(variable.doc.strip() and variable.default.strip() for variable in VARIABLES)


def test_reading_an_undeclared_variable_is_refused() -> None:
    with pytest.raises(KeyError, match="KELISIM_NO_SUCH"):
        read({"KELISIM_NO_SUCH": "1"}, "KELISIM_NO_SUCH")
    assert read({"KELISIM_TRUSTED_PROXIES": "2"}, "KELISIM_TRUSTED_PROXIES") == "2"


def test_docs_settings_md_is_the_table() -> None:
    """Regenerate with `python -m kelisim.environment > docs/settings.md`."""
    assert (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == markdown()


def test_no_secret_shows_in_the_settings_repr(tmp_path: Path) -> None:
    secrets = {
        variable.name: f"secret-{index}-{'x' * 32}"
        for index, variable in enumerate(VARIABLES)
        if variable.secret
    }
    secrets["KELISIM_DATABASE_URL"] = "postgresql+psycopg://kelisim:pa55-w0rd-x@db.internal/k"
    env = {
        **secrets,
        "KELISIM_VAR_DIR": str(tmp_path),
        "KELISIM_PUBLIC_URL": "https://consent.creditplus.kz",
        "KELISIM_SMTP_HOST": "mail.creditplus.kz",
    }
    shown = repr(Settings.from_env(env)) + repr(NotifySettings.from_env(env))
    # The settings are there to read (the negative control) ...
    assert "https://consent.creditplus.kz" in shown and "mail.creditplus.kz" in shown
    # ... but no secret, nor any part of one.
    for name, value in secrets.items():
        assert value not in shown, name
    assert "pa55-w0rd-x" not in shown


def test_processes_starting_at_once_on_an_empty_var_dir_agree_on_every_key(tmp_path: Path) -> None:
    """gunicorn's workers (or `kelisim serve` beside the demo) all read a fresh ./var at start:
    each must get the same complete keys, or tokens one worker issues fail in the next."""
    import threading

    starters = 12
    gate = threading.Barrier(starters)
    found: list[tuple] = []
    failures: list[BaseException] = []

    def start() -> None:
        gate.wait()
        try:
            settings = Settings.from_env({"KELISIM_VAR_DIR": str(tmp_path)})
            found.append(
                (
                    settings.token_keys,
                    settings.secret_key,
                    settings.ip_pepper,
                    settings.log_signing_key,
                )
            )
        except BaseException as error:  # the failure a visitor would meet as a 500
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert len(found) == starters and len(set(found)) == 1
    token_keys, secret_key, _, log_key = found[0]
    assert (tmp_path / "secret.key").read_text() == secret_key and secret_key
    assert (tmp_path / "token.key").read_text() == token_keys[0]
    assert (tmp_path / "log-signing.key").read_text() == log_key and log_key
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "ip-pepper.key",
        "log-signing.key",
        "secret.key",
        "token.key",
    ]  # no draft left behind
