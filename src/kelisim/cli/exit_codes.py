"""The one table of what a `kelisim` exit code means, so cron jobs and monitoring can act on the
code alone and every verb answers the same way."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    # Done: verified, nothing overdue, the change was made.
    OK = 0
    # Checked, and the answer is no: a changed log, requests past their deadline, an account change
    # refused, a receipt that does not verify.
    FAILED = 1
    # Could not run: a usage error, bad input, unreadable settings, a database that is down or not
    # migrated, a refusal to start in production.
    ERROR = 2
    # `kelisim scan` only: the site could not be reached, so nothing was judged
    # (kelisim.scanner.triage, which lies below the CLI and keeps the same numbers).
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
