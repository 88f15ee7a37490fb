"""Log lines that cannot be forged and hold no client address (ASVS 5.0 16.4.1).

Every record Kelisim or gunicorn writes passes through `clean`: control characters (CR, LF, ESC,
NUL, backspace, DEL, the C1 range and Unicode's line and paragraph separators) become visible
escapes, so a header or URL cannot start a second record, move a terminal's cursor or hide text
from an operator reading the log; and anything shaped like an IPv4 or IPv6 address becomes
`[ip]`, because gunicorn's own messages (`Invalid request from ip=…`) name the client.
"""

from __future__ import annotations

import logging
import re

__all__ = ["LogHygieneFilter", "clean", "escape_controls", "redact_addresses"]

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONSENT_PATH = re.compile(r"(/consent/)([A-Za-z0-9_-]+)")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Either compressed (has "::") or full (seven colons); times such as 12:34:56 are neither.
_IPV6 = re.compile(
    r"(?<![\w:])(?:"
    r"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){0,6}(?:[0-9A-Fa-f]{1,4})?::(?:[0-9A-Fa-f]{1,4}:){0,6}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r")(?:%\w+)?(?![\w:.])"
)


def escape_controls(text: str) -> str:
    return _CONTROLS.sub(lambda match: _NAMED.get(match[0], f"\\x{ord(match[0]):02x}"), text)


def redact_addresses(text: str) -> str:
    # Every record of every request passes here: the patterns are only tried on text that can
    # hold what they match (an IPv6 address has "::" or seven colons, an IPv4 one three dots).
    if "::" in text or text.count(":") >= 7:
        text = _IPV6.sub(_ipv6_or_same, text)
    if text.count(".") >= 3:
        text = _IPV4.sub("[ip]", text)
    return text


def _ipv6_or_same(match: re.Match[str]) -> str:
    # A lone "::" (e.g. in "Class::method") is not an address.
    return "[ip]" if len(match[0]) > 2 else match[0]


def clean(text: str) -> str:
    return escape_controls(redact_addresses(text))


class LogHygieneFilter(logging.Filter):
    """Rewrites a record's message to its clean form; for loggers whose formatters we do not own.

    Arguments are folded into the message first (and the exception text too), so neither a
    formatted value nor a traceback escapes the cleaning.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        cleaned = clean(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def redacted_path(path: str) -> str:
    """The request path for the access log: no query string, consent ids replaced by a marker."""
    return _CONSENT_PATH.sub(r"\1<id>", path.split("?", 1)[0])
