"""`kelisim requests overdue [--notify]`: the subject requests past their one-working-day deadline.

Meant for cron (every hour in working time): exit 0 when nothing is overdue, 1 when something is,
so a monitoring job alerts on the code alone; `--notify` also tells the privacy officer by e-mail
(KELISIM_PRIVACY_OFFICER_EMAIL) and/or a webhook (KELISIM_REQUESTS_WEBHOOK_URL) through
kelisim.services.notify. The list and the notification carry the request reference, kind and
deadline only: no consent id, contact or message, which stay in the admin queue.

Exit codes as in kelisim.cli.main: 0 none overdue, 1 some overdue, 2 could not run or could not
notify.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click

from kelisim.cli.invocation import Invocation, open_store
from kelisim.commands import ExitCode
from kelisim.domain.workdays import ALMATY
from kelisim.services.notify import NotifySettings, send_email, send_webhook
from kelisim.services.subject_requests import SubjectRequest
from kelisim.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.OK, ExitCode.FAILED, ExitCode.ERROR
QUEUE_PATH = "/admin/subject-requests"


@click.group("requests", help="subject requests filed on the receipt page")
def requests() -> None:
    pass


@requests.command(
    "overdue", help="list open requests past their deadline (exit 1 when there are any)"
)
@click.option(
    "--notify",
    is_flag=True,
    help="also e-mail KELISIM_PRIVACY_OFFICER_EMAIL and/or POST KELISIM_REQUESTS_WEBHOOK_URL",
)
@click.pass_obj
def _overdue_command(invocation: Invocation, notify: bool) -> int:
    settings = invocation.settings
    return overdue(settings, lambda: open_store(settings), notify=notify)


def _late_by(item: SubjectRequest, now: datetime) -> str:
    hours = int((now - item.due_at).total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def overdue_lines(items: Sequence[SubjectRequest], now: datetime) -> list[str]:
    return [
        f"{item.reference}  {item.kind:<7}  due {item.due_at.astimezone(ALMATY):%Y-%m-%d %H:%M} "
        f"Almaty, late by {_late_by(item, now)}"
        for item in items
    ]


def _notify(settings: Settings, notify: NotifySettings, lines: list[str], count: int) -> list[str]:
    """Why each configured channel failed; a refusal when none is configured."""
    if not settings.privacy_officer_email and not settings.requests_webhook_url:
        return [
            "--notify needs KELISIM_PRIVACY_OFFICER_EMAIL or KELISIM_REQUESTS_WEBHOOK_URL to "
            "know whom to tell"
        ]
    queue = f"{settings.public_url}{QUEUE_PATH}" if settings.public_url else QUEUE_PATH
    failures = []
    if settings.privacy_officer_email:
        body = (
            f"{count} subject request(s) are past their one-working-day deadline "
            "(Law 94-V Art. 25):\n\n" + "\n".join(lines) + f"\n\nThe queue: {queue}\n"
        )
        failure = send_email(
            notify,
            settings.privacy_officer_email,
            f"Kelisim: {count} subject request(s) overdue",
            body,
        )
        if failure:
            failures.append(failure)
    if settings.requests_webhook_url:
        failure = send_webhook(
            notify,
            settings.requests_webhook_url,
            {"event": "subject_requests.overdue", "count": count, "lines": lines, "queue": queue},
        )
        if failure:
            failures.append(failure)
    return failures


def overdue(
    settings: Settings,
    open_store: Any,
    *,
    notify: bool = False,
    notify_settings: NotifySettings | None = None,
    now: datetime | None = None,
) -> int:
    from kelisim.services.audit import AuditLog
    from kelisim.services.subject_requests import SubjectRequests
    from kelisim.services.subjects import Subjects

    now = now or datetime.now(UTC)
    store = open_store()
    try:
        audit = AuditLog(store.write_engine)
        subjects = Subjects(store.engine, store.write_engine, audit, b"")
        items = SubjectRequests(store.engine, store.write_engine, audit, subjects).overdue(now)
    finally:
        store.close()
    if not items:
        print("ok: no subject request is overdue")
        return EXIT_OK
    lines = overdue_lines(items, now)
    for line in lines:
        print(line)
    print(f"OVERDUE: {len(items)} subject request(s) past their deadline", file=sys.stderr)
    if notify:
        failures = _notify(
            settings, notify_settings or NotifySettings.from_env(), lines, len(items)
        )
        for failure in failures:
            print(f"kelisim: not notified: {failure}", file=sys.stderr)
        if failures:
            return EXIT_ERROR
        print("notified", file=sys.stderr)
    return EXIT_FAILED
