"""Every KELISIM_* environment variable Kelisim reads, declared once with what it does.

An operator configures Kelisim through the environment only, so this table is the whole of its
configuration surface: docs/settings.md is generated from it (`python -m kelisim.environment`),
`tests/test_environment.py` fails when the code reads a variable that is not declared here or the
document falls behind, and a variable marked `secret` never appears in a repr, a log line or an
error message (the settings objects hide those fields).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["VARIABLES", "Variable", "markdown", "read"]


@dataclass(frozen=True)
class Variable:
    name: str
    part: str  # who reads it: server, notifications, scanner, demo
    default: str  # as an operator reads it, not as code
    doc: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    # --- the server: storage and keys ------------------------------------------------------------
    Variable(
        "KELISIM_VAR_DIR",
        "server",
        "`var` (relative to the working directory)",
        "Where the embedded default keeps its SQLite file and the keys it generates.",
    ),
    Variable(
        "KELISIM_DATABASE_URL",
        "server",
        "`sqlite:///$KELISIM_VAR_DIR/kelisim.sqlite3`",
        "SQLAlchemy URL of the consent log: a SQLite file, or `postgresql+psycopg://…` (needs "
        "`kelisim[postgres]`).",
        secret=True,  # may carry the database password
    ),
    Variable(
        "KELISIM_CATALOGUE",
        "server",
        "the packaged example `vendors.yaml`",
        "The vendors.yaml that seeds the catalogue on first start (the admin edits it afterwards); "
        "also the scanner's default catalogue.",
    ),
    Variable(
        "KELISIM_SECRET_KEY",
        "server",
        "generated into `$KELISIM_VAR_DIR/secret.key` (production refuses that)",
        "Flask's secret: admin sessions and CSRF tokens. 32+ random characters.",
        secret=True,
    ),
    Variable(
        "KELISIM_TOKEN_KEYS",
        "server",
        "generated into `$KELISIM_VAR_DIR/token.key` (production refuses that)",
        "Comma-separated keys of the consent tokens, oldest first: tokens are signed with the "
        "last and checked against all, so a key is rotated by appending a new one.",
        secret=True,
    ),
    Variable(
        "KELISIM_IP_PEPPER",
        "server",
        "generated into `$KELISIM_VAR_DIR/ip-pepper.key` (production refuses that)",
        "Key of the HMACs that stand in for IP addresses, app device ids and customer ids.",
        secret=True,
    ),
    Variable(
        "KELISIM_LOG_SIGNING_KEY",
        "server",
        "generated into `$KELISIM_VAR_DIR/log-signing.key` (production refuses that)",
        "Ed25519 key that signs the log's checkpoints, in signed-note form "
        "(`kelisim log keygen` makes one). Rotate by setting a new key.",
        secret=True,
    ),
    Variable(
        "KELISIM_PRODUCTION",
        "server",
        "unset",
        "`1`: production mode (HSTS, refusal of generated keys and non-durable databases); "
        "`kelisim serve --production` sets it.",
    ),
    # --- the server: requests --------------------------------------------------------------------
    Variable(
        "KELISIM_PUBLIC_URL",
        "server",
        "unset (links are paths only in production)",
        "The canonical `https://host[/prefix]` receipts are linked under.",
    ),
    Variable(
        "KELISIM_TRUSTED_PROXIES",
        "server",
        "`0`",
        "How many reverse proxies in front set `X-Forwarded-For` / `-Proto`.",
    ),
    Variable(
        "KELISIM_GEOIP_DATABASE",
        "server",
        "unset (regions unknown)",
        "A MaxMind GeoIP2/GeoLite2 `.mmdb` file for the `regions:` rules of vendors.yaml.",
    ),
    Variable(
        "KELISIM_MAX_BODY_BYTES",
        "server",
        "`16384`",
        "Largest request body accepted (413 above it).",
    ),
    Variable(
        "KELISIM_CONSENT_RATE_PER_NETWORK",
        "server",
        "`600`",
        "Consent POSTs per minute from one client network (/24, /48); `0` switches it off.",
    ),
    Variable(
        "KELISIM_CONSENT_RATE_PER_CONSENT",
        "server",
        "`30`",
        "Consent POSTs per minute for one consent id; `0` switches it off.",
    ),
    Variable(
        "KELISIM_MAX_IN_FLIGHT",
        "server",
        "`12`",
        "Consent POSTs a worker handles at once before shedding with 503 + Retry-After; `0` "
        "switches shedding off.",
    ),
    Variable(
        "KELISIM_ADMISSION_WAIT_MS",
        "server",
        "`30`",
        "How long a consent POST may wait, queued and for a slot, before it is shed.",
    ),
    Variable(
        "KELISIM_CHECKPOINT_SECONDS",
        "server",
        "`5`",
        "Seconds between signed checkpoints while the log grows; `0` signs only when a receipt "
        "needs one.",
    ),
    Variable(
        "KELISIM_RETENTION_DAYS",
        "server",
        "`1095` (three years, Civil Code Art. 178)",
        "How long after a consent ended `kelisim db purge` keeps its personal fields.",
    ),
    # --- the server: integrations and staff ------------------------------------------------------
    Variable(
        "KELISIM_SCAN_UPLOAD_TOKENS",
        "server",
        "unset (uploads refused)",
        "Comma-separated bearer tokens the scanner may upload report.json with.",
        secret=True,
    ),
    Variable(
        "KELISIM_CUSTOMER_LINK_TOKENS",
        "server",
        "unset (links refused)",
        "Comma-separated bearer tokens the lender's servers link a consent to a customer with.",
        secret=True,
    ),
    Variable(
        "KELISIM_METRICS_TOKEN",
        "server",
        "unset (`/metrics` off)",
        "Bearer token for `GET /metrics`.",
        secret=True,
    ),
    Variable(
        "KELISIM_MFA_REQUIRED_ROLES",
        "server",
        "`admin`",
        "Comma-separated staff roles that must log in with a second factor (TOTP).",
    ),
    Variable(
        "KELISIM_HOLIDAYS_FILE",
        "server",
        "unset (weekends and fixed-date holidays only)",
        "Kazakhstan's moved days off for subject-request deadlines, one "
        "`YYYY-MM-DD holiday|workday` a line.",
    ),
    Variable(
        "KELISIM_PRIVACY_OFFICER_EMAIL",
        "server",
        "unset",
        "Who `kelisim requests overdue --notify` e-mails.",
    ),
    Variable(
        "KELISIM_REQUESTS_WEBHOOK_URL",
        "server",
        "unset",
        "A webhook `kelisim requests overdue --notify` posts to.",
    ),
    # --- notifications (scheduled scans, subject requests) ---------------------------------------
    Variable("KELISIM_SMTP_HOST", "notifications", "unset (no e-mail)", "SMTP server for notices."),
    Variable("KELISIM_SMTP_PORT", "notifications", "`25`", "Its port."),
    Variable("KELISIM_SMTP_FROM", "notifications", "`kelisim@localhost`", "The sender address."),
    Variable("KELISIM_SMTP_USER", "notifications", "unset", "SMTP login, when it needs one."),
    Variable("KELISIM_SMTP_PASSWORD", "notifications", "unset", "SMTP password.", secret=True),
    Variable("KELISIM_SMTP_STARTTLS", "notifications", "unset", "`1`: STARTTLS before login."),
    Variable(
        "KELISIM_WEBHOOK_SECRET",
        "notifications",
        "unset (webhooks unsigned)",
        "Key of the HMAC signature on notice webhooks.",
        secret=True,
    ),
    # --- the scanner -----------------------------------------------------------------------------
    Variable(
        "KELISIM_CHROMIUM",
        "scanner",
        "`/usr/bin/chromium`",
        "The Chromium binary every launch uses (scanner, tests, benchmarks).",
    ),
    Variable(
        "KELISIM_AUTOCONSENT",
        "scanner",
        "the npm tools folder, when the package is there",
        "Folder of the `@duckduckgo/autoconsent` package that drives other CMPs' banners.",
    ),
    Variable(
        "KELISIM_UPLOAD_TOKEN",
        "scanner",
        "unset",
        "Bearer token `kelisim scan --upload` sends (one of the server's "
        "KELISIM_SCAN_UPLOAD_TOKENS).",
        secret=True,
    ),
)

_BY_NAME = {variable.name: variable for variable in VARIABLES}
_Default = TypeVar("_Default")


def read(env: Mapping[str, str], name: str, default: _Default = None) -> str | _Default:  # type: ignore[assignment]
    """`env[name]`, for a declared variable only: reading an undeclared one is a bug the first
    test run catches, not a setting nobody can find."""
    if name not in _BY_NAME:
        raise KeyError(f"{name} is not declared in kelisim.environment.VARIABLES")
    return env.get(name, default)


def markdown() -> str:
    """docs/settings.md: every variable by part, secrets marked."""
    lines = [
        "# Settings",
        "",
        "Kelisim is configured through `KELISIM_*` environment variables only. This page is "
        "generated from `src/kelisim/environment.py` (`python -m kelisim.environment > "
        "docs/settings.md`); a test fails when the two differ. Secrets (marked 🔒) never appear "
        "in logs, error messages or the settings' repr; production mode refuses generated ones "
        "(docs/operations.md).",
    ]
    for part in dict.fromkeys(variable.part for variable in VARIABLES):
        lines += ["", f"## {part.capitalize()}", "", "| Variable | Default | What it does |"]
        lines.append("|---|---|---|")
        for variable in (v for v in VARIABLES if v.part == part):
            lock = " 🔒" if variable.secret else ""
            lines.append(f"| `{variable.name}`{lock} | {variable.default} | {variable.doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
