"""The record of what reached a fake vendor: the demo's equivalent of the vendor's server logs.

Tests and the scanner's own tests need to prove that a tracker did (or did not) call home, and with
which cookies. The fake hosts and the site's self-hosted Matomo endpoints write every request here
before answering; the log lives in memory, is thread-safe, and can be read or cleared between runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from http.cookies import CookieError, SimpleCookie
from typing import Any

from werkzeug.wrappers import Request

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    host: str  # lower-case, without the port: the vendor's hostname as the browser asked for it
    path: str
    query: str
    time: float  # unix seconds
    cookies: Mapping[str, str] = field(default_factory=dict)
    referer: str | None = None
    origin: str | None = None
    content_type: str | None = None
    body_size: int = 0

    @property
    def url(self) -> str:
        return f"https://{self.host}{self.path}" + (f"?{self.query}" if self.query else "")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cookies"] = dict(self.cookies)
        return data


def _cookies(header: str | None) -> dict[str, str]:
    """Parse a Cookie header leniently: vendors' values (e.g. `0|123`) trip the strict parser."""
    if not header:
        return {}
    parsed: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            parsed[name] = value
    if parsed:
        return parsed
    try:  # pragma: no cover - a header without any `=` at all
        return {key: morsel.value for key, morsel in SimpleCookie(header).items()}
    except CookieError:
        return {}


class RequestLog:
    """Thread-safe, bounded, in-memory list of RecordedRequest."""

    def __init__(self, limit: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []
        self._limit = limit

    def add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)
            if len(self._items) > self._limit:
                del self._items[: len(self._items) - self._limit]

    def record(self, request: Request) -> RecordedRequest:
        item = RecordedRequest(
            method=request.method,
            host=request.host.split(":", 1)[0].lower(),
            path=request.path,
            query=request.query_string.decode("latin-1"),
            time=time.time(),
            cookies=_cookies(request.headers.get("Cookie")),
            referer=request.headers.get("Referer"),
            origin=request.headers.get("Origin"),
            content_type=request.headers.get("Content-Type"),
            body_size=request.content_length or 0,
        )
        self.add(item)
        return item

    def items(self, host: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            items = list(self._items)
        return [item for item in items if host is None or item.host == host]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
