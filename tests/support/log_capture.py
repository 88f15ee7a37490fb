"""A pytest plugin that reads every log line the suite produces and fails the run on personal data.

Operational logs must hold no client IP address, no cookie value, no
consent token and no consent id in clear. This plugin is how the suite keeps that true as the code
changes: it attaches a handler to the root logger for the whole session (every logger that
propagates — cmp, werkzeug, sqlalchemy, alembic — ends there), and tests that run real server
processes register their log files with `watch_file`. Values that must never appear are learnt as
they are created: every consent id the store appends, every token the codec issues, every admin
session token, and whatever a test hands to `forbid` (e.g. ids a subprocess returned). At the end
of the session every line is scanned; any hit fails the run with the offending lines (values cut).

Rules (decided here, so they are the same for every test):
* IPv4/IPv6 addresses: any valid address except loopback and unspecified (tests themselves use
  127.0.0.1; "client" traffic in the hygiene tests comes from 203.0.113.0/24 and 2001:db8::/32
  through a trusted proxy). A network prefix written with its length (`203.0.113.0/24`) is the
  minimised form and allowed.
* Email addresses.
* Learnt secrets: matched as whole runs of base64url characters, so a long log needs one set
  lookup per word, not one substring search per secret.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from collections import Counter
from pathlib import Path

import pytest

_lines: list[tuple[str, str]] = []  # (source, line)
_files: list[Path] = []
_secrets: set[str] = set()
_lock = threading.Lock()

_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.]|/\d)")
_IPV6 = re.compile(r"(?<![\w:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:]|/\d)")
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]*[A-Za-z]")
# A byte escaped as \xNN (how a server logs a request line of raw bytes, a TLS hello sent to a
# plain-HTTP port) is no part of an address: random bytes once read as "\x03@B.UZ" did.
_BYTE_ESCAPE = re.compile(r"\\x[0-9A-Fa-f]{2}")
_WORD = re.compile(r"[A-Za-z0-9_-]{12,}")


def forbid(*values: str | None) -> None:
    """Values that must not appear in any log (consent ids, tokens, cookie values)."""
    with _lock:
        for value in values:
            if not value or len(value) < 12:
                continue
            _secrets.add(value)
            # A token is three base64url segments: each long one alone is already a leak.
            for part in value.split("."):
                if len(part) >= 12:
                    _secrets.add(part)


def watch_file(path: Path) -> None:
    """A log file written by a process the tests started (server stdout/stderr)."""
    with _lock:
        _files.append(Path(path))


def _is_client_ip(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


def problems_in(line: str, secrets: set[str] | None = None) -> list[str]:
    """Why `line` must not be in an operational log (empty when it is fine)."""
    found = []
    for match in _IPV4.finditer(line):
        if _is_client_ip(match.group(1)):
            found.append(f"IPv4 address {match.group(1)}")
    for match in _IPV6.finditer(line):
        if match.group(1).count(":") >= 2 and _is_client_ip(match.group(1)):
            found.append(f"IPv6 address {match.group(1)}")
    for match in _EMAIL.finditer(_BYTE_ESCAPE.sub(" ", line)):
        found.append(f"e-mail address {match.group(0)}")
    known = _secrets if secrets is None else secrets
    for match in _WORD.finditer(line):
        if match.group(0) in known:
            found.append(f"secret value {match.group(0)[:6]}…")
    if "\n" in line or "\r" in line:
        found.append("CR/LF inside one record")
    return found


class _Collector(logging.Handler):
    """Formats each record as its real handler would: Kelisim's own records with Kelisim's
    single-line formatter (so CR/LF neutralisation is checked on the real output)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.name == "kelisim" or record.name.startswith("kelisim."):
                from kelisim.web.app import SingleLineFormatter

                line = SingleLineFormatter("%(levelname)s %(name)s: %(message)s").format(record)
            else:
                line = self.format(record)
        except Exception:
            line = str(record.msg)
        with _lock:
            _lines.append((f"log:{record.name}", line))


_handler = _Collector(level=logging.DEBUG)
_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))


def _learn_from_code() -> None:
    """Wrap the places that create consent ids, tokens and session tokens, to learn their values."""
    from kelisim.domain.tokens import TokenCodec
    from kelisim.store import ConsentStore

    original_append = ConsentStore.append
    original_issue = TokenCodec.issue

    def append(self, event):  # type: ignore[no-untyped-def]
        forbid(event.consent_id, event.ip_hmac)
        return original_append(self, event)

    def issue(self, claims):  # type: ignore[no-untyped-def]
        token = original_issue(self, claims)
        forbid(token, claims.consent_id)
        return token

    ConsentStore.append = append  # type: ignore[method-assign]
    TokenCodec.issue = issue  # type: ignore[method-assign]
    try:
        from kelisim.services.accounts import Accounts
    except ImportError:
        return
    original_start = Accounts.start_session

    def start_session(self, user):  # type: ignore[no-untyped-def]
        token = original_start(self, user)
        forbid(token)
        return token

    Accounts.start_session = start_session  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(_handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _learn_from_code()


def scan() -> list[tuple[str, str, list[str]]]:
    """Every (source, line, problems) with a problem, over records and watched files."""
    with _lock:
        lines = list(_lines)
        files = list(_files)
        secrets = set(_secrets)
    for path in files:
        if path.exists():
            text = path.read_text(errors="replace")
            lines.extend((f"file:{path.name}", line) for line in text.splitlines())
    hits = []
    for source, line in lines:
        # A record may legitimately span lines only as separate lines of a file; records must not.
        problems = problems_in(line.replace("\n", " ").replace("\r", " "), secrets)
        # Kelisim's records must stay on one line; other libraries' tracebacks may span several.
        if source.startswith("log:cmp") and ("\n" in line or "\r" in line):
            problems.append("CR/LF inside one record")
        if problems:
            hits.append((source, line, problems))
    return hits


# Under pytest-xdist each worker process collects and scans its own records; it hands its
# findings to the controller (xdist's `workeroutput`), which alone decides the run's outcome: a
# worker's own exit status never reaches the summary, so a leak found there would pass unseen.
_worker_counts: Counter[str] = Counter()  # records, files, secrets
_worker_hits: list[tuple[str, str, list[str]]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # type: ignore[no-untyped-def]
    found = getattr(node, "workeroutput", {}).get("kelisim_log_hygiene")
    if not found:
        return
    _worker_counts.update(found["counts"])
    _worker_hits.extend((source, line, problems) for source, line, problems in found["hits"])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    hits = scan()
    with _lock:
        total = len(_lines)
        watched = len(_files)
        learnt = len(_secrets)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller reports and fails the run
        workeroutput["kelisim_log_hygiene"] = {
            "counts": {"records": total, "files": watched, "secrets": learnt},
            "hits": [[source, line, list(problems)] for source, line, problems in hits],
        }
        return
    total += _worker_counts["records"]
    watched += _worker_counts["files"]
    learnt += _worker_counts["secrets"]
    hits.extend(_worker_hits)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"log hygiene: {total} log records and {watched} server log files scanned, "
            f"{learnt} learnt secrets, {len(hits)} problems"
        )
    if not hits:
        return
    if reporter is not None:
        for source, line, problems in hits[:20]:
            shown = line[:160].replace("\n", "\\n").replace("\r", "\\r")
            reporter.write_line(f"  LOG LEAK [{source}] {', '.join(problems)}: {shown}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
