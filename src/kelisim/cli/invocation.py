"""What every `kelisim` command shares: the settings, read once and only by a command that needs
them, and the one way a command's outcome becomes an exit code (kelisim.cli.exit_codes).

Click parses; this module decides what the operator sees when parsing or running fails: a usage
error is click's own message and exit code 2, Ctrl+C ends quietly, and nothing is a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import click

from kelisim.cli.exit_codes import ExitCode
from kelisim.settings import Settings


class SettingsUnreadable(Exception):
    """KELISIM_* variables that do not parse (a port that is no number, a bad URL)."""


@dataclass
class Invocation:
    """The context object of one `kelisim` run."""

    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except (OSError, ValueError) as error:
                raise SettingsUnreadable(str(error)) from error
        return self._settings

    @property
    def settings_if_read(self) -> Settings | None:
        """The settings when a command read them, for describing its failure."""
        return self._settings


def open_store(settings: Settings) -> Any:
    """The consent store the settings name (imported late: `kelisim --help` opens nothing)."""
    from kelisim.store import ConsentStore

    return ConsentStore(settings.database_url)


def run_command(
    command: click.Command,
    argv: Sequence[str],
    prog_name: str,
    *,
    obj: Any = None,
    err: TextIO | None = None,
) -> int:
    """Run `command` on `argv` and return its exit code; errors other than click's propagate to
    the caller, which knows what they mean."""
    try:
        result = command.main(args=list(argv), prog_name=prog_name, standalone_mode=False, obj=obj)
    except click.ClickException as error:  # a usage error: click says what, with the usage line
        error.show(file=err or sys.stderr)
        return ExitCode.ERROR
    except click.Abort:  # Ctrl+C at a prompt or while serving: the operator stopped it
        return ExitCode.OK
    return int(result) if isinstance(result, int) else ExitCode.OK
