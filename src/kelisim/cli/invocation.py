"""What every `kelisim` command shares: the settings, read once and only by a command that needs
them, and the store they name. How a command's outcome becomes an exit code is kelisim.commands
(`run_click`, re-exported here as `run_command`), shared with the scanner and the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kelisim.commands import run_click as run_command
from kelisim.settings import Settings

__all__ = ["Invocation", "SettingsUnreadable", "open_store", "run_command"]


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
