"""Reading a cookie as it was set: a `Set-Cookie` line or a `document.cookie` assignment.

The jar caps lifetimes (Chromium keeps at most 400 days), so V08 compares the declaration with what
the site asked for, read from the line itself.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class CookieLine:
    name: str
    value_hash: str
    domain: str | None
    lifetime_seconds: float | None  # None = session cookie; <= 0 = deletion
    partitioned: bool


def value_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:12]


def parse_cookie_line(line: str, now: float | None = None) -> CookieLine | None:
    """Parse one Set-Cookie / document.cookie string; None when it names no cookie."""
    now = time.time() if now is None else now
    parts = [p.strip() for p in line.split(";")]
    if not parts or ("=" not in parts[0] and not parts[0]):
        return None
    name, _, value = parts[0].partition("=")
    name = name.strip()
    if not name:
        return None
    domain = None
    max_age: float | None = None
    expires: float | None = None
    partitioned = False
    for attr in parts[1:]:
        key, _, val = attr.partition("=")
        key = key.strip().lower()
        val = val.strip()
        if key == "max-age":
            try:
                max_age = float(int(val))
            except ValueError:
                continue
        elif key == "expires":
            try:
                expires = parsedate_to_datetime(val).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
        elif key == "domain" and val:
            domain = val.lower()
        elif key == "partitioned":
            partitioned = True
    lifetime = max_age if max_age is not None else expires
    return CookieLine(name, value_hash(value.strip()), domain, lifetime, partitioned)
