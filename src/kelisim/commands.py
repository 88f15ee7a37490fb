"""The one table of what a `kelisim` exit code means, and the one way a click command is run, so
cron jobs and monitoring can act on the code alone and every verb answers the same way.

It sits below `cli`, `scanner` and `demo`, which all run click commands and may not import each
other; it imports nothing of Kelisim.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import IntEnum
from typing import Any, TextIO

import click


class ExitCode(IntEnum):
    # Done: verified, nothing overdue, the change was made.
    OK = 0
    # Checked, and the answer is no: a changed log, requests past their deadline, an account change
    # refused, a receipt that does not verify.
    FAILED = 1
    # Could not run: a usage error, bad input, unreadable settings, a database that is down or not
    # migrated, a refusal to start in production.
    ERROR = 2
    # `kelisim scan` only: the site could not be reached, so nothing was judged.
    UNREACHABLE = 3


EPILOG = "exit codes:\n" + "\n".join(
    f"  {code.value}  {text}"
    for code, text in (
        (ExitCode.OK, "ok"),
        (ExitCode.FAILED, "checked and found wrong (or overdue, or refused)"),
        (ExitCode.ERROR, "could not run (usage, input, settings, database)"),
        (ExitCode.UNREACHABLE, "scan only: the site could not be reached"),
    )
)


def run_click(
    command: click.Command,
    argv: Sequence[str],
    prog_name: str,
    *,
    obj: Any = None,
    err: TextIO | None = None,
    aborted: ExitCode = ExitCode.OK,
) -> int:
    """Run `command` on `argv` and return its exit code: a usage error is click's message (with the
    usage line) and ERROR, never a traceback. `aborted` is the code for Ctrl+C at a prompt or while
    serving: the operator stopped it, which for a scan means nothing was judged. Other errors
    propagate to the caller, which knows what they mean."""
    try:
        result = command.main(args=list(argv), prog_name=prog_name, standalone_mode=False, obj=obj)
    except click.ClickException as error:
        error.show(file=err or sys.stderr)
        return ExitCode.ERROR
    except click.Abort:
        return aborted
    return int(result) if isinstance(result, int) else ExitCode.OK
