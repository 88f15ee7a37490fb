"""`kelisim scan schedule run [--admin-url URL] [-- SCANNER OPTIONS]`: every scheduled scan that is
due, from cron or a systemd timer (kelisim.services.scheduled_scans); exit 1 when a scan failed."""

from __future__ import annotations

import click

from kelisim.cli.invocation import Invocation
from kelisim.commands import ExitCode
from kelisim.services.notify import NotifySettings
from kelisim.services.scheduled_scans import build, subprocess_scanner


@click.group("schedule", help="scheduled scans: run the ones that are due")
def schedule() -> None:
    pass


@schedule.command(
    "run",
    help="run every scheduled scan that is due (options after -- go to each scan)",
    context_settings={"ignore_unknown_options": True},
)
@click.option("--admin-url", help="the admin's public base URL, for links in notices")
@click.argument("scanner_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def _run(invocation: Invocation, admin_url: str | None, scanner_args: tuple[str, ...]) -> int:
    extra = [arg for arg in scanner_args if arg != "--"]
    runner = build(invocation.settings, subprocess_scanner(extra), NotifySettings.from_env())
    runner.admin_url = admin_url.rstrip("/") if admin_url else None
    results = runner.run_due()
    for result in results:
        line = f"schedule {result.schedule_id}: {result.outcome}"
        if result.error:
            line += f" — {result.error}"
        else:
            line += f", {result.findings} finding(s), {len(result.new_findings)} new"
        if result.notified:
            line += " (" + "; ".join(result.notified) + ")"
        click.echo(line)
    if not results:
        click.echo("no scheduled scan is due")
    failed = any(result.outcome == "error" for result in results)
    return ExitCode.FAILED if failed else ExitCode.OK
