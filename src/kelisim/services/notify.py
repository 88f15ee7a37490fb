"""Telling people about new scan findings: an e-mail over SMTP and a webhook POST.

Both carry the same facts (site, how many new findings, each one's rule, severity, state, vendor
and message, and where to read the run in the admin) and nothing personal: findings are about the
website, never about visitors. The webhook body is JSON, signed with HMAC-SHA256 under
KELISIM_WEBHOOK_SECRET when one is set (`X-Kelisim-Signature: sha256=<hex>`), so the receiver can
tell Kelisim's POST from anybody else's. A notification that fails is reported to the caller, never
raised: the scan and its stored report stand either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from kelisim.environment import read

__all__ = ["NotifySettings", "send_email", "send_webhook", "summary_text"]

TIMEOUT_S = 15


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "kelisim@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    webhook_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotifySettings:
        env = os.environ if env is None else env
        return cls(
            smtp_host=read(env, "KELISIM_SMTP_HOST") or None,
            smtp_port=int(read(env, "KELISIM_SMTP_PORT") or 25),
            smtp_from=read(env, "KELISIM_SMTP_FROM") or "kelisim@localhost",
            smtp_user=read(env, "KELISIM_SMTP_USER") or None,
            smtp_password=read(env, "KELISIM_SMTP_PASSWORD") or None,
            smtp_starttls=read(env, "KELISIM_SMTP_STARTTLS", "") == "1",
            webhook_secret=read(env, "KELISIM_WEBHOOK_SECRET") or None,
        )


def summary_text(target: str, findings: Sequence[Mapping[str, Any]], run_url: str | None) -> str:
    lines = [f"Kelisim found {len(findings)} new finding(s) on {target}.", ""]
    for finding in findings:
        vendor = finding.get("vendor") or "-"
        lines.append(
            f"- {finding.get('rule')} [{finding.get('severity')}] state {finding.get('state')}, "
            f"vendor {vendor}: {finding.get('message') or ''}".rstrip()
        )
    if run_url:
        lines += ["", f"The whole run: {run_url}"]
    return "\n".join(lines) + "\n"


def send_email(settings: NotifySettings, to: str, subject: str, body: str) -> str | None:
    """None when sent, else why not (for the run's record)."""
    if not settings.smtp_host:
        return "no SMTP server configured (KELISIM_SMTP_HOST)"
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return f"e-mail failed: {type(error).__name__}"
    return None


def send_webhook(settings: NotifySettings, url: str, payload: Mapping[str, Any]) -> str | None:
    """None when the receiver answered 2xx, else why not."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "Kelisim scheduled scans"}
    if settings.webhook_secret:
        digest = hmac.new(settings.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Kelisim-Signature"] = f"sha256={digest}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        return f"webhook answered {error.code}"
    except (OSError, ValueError) as error:
        return f"webhook failed: {type(error).__name__}"
    return None if 200 <= status < 300 else f"webhook answered {status}"
