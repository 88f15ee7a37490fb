"""Errors at the HTTP edge, rendered as RFC 9457 problem+json.

A problem is raised where it is known (a validator, a lookup) and rendered once, here, so every 4xx
a client sees has the same shape and no handler can leak a stack trace, an SQL fragment or a key by
accident (ASVS 5.0 16.5.1). Bodies are serialised with ASCII escapes: an error message may quote a
client's own input, and a lone surrogate in it must not turn a 400 into a failed 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from flask import Response

PROBLEM_MIMETYPE = "application/problem+json"

# Stable problem types a client can branch on; anything else is "about:blank" (RFC 9457 §4.2.1),
# whose meaning is just the HTTP status.
PROBLEM_TYPES = {
    "validation": "urn:kelisim:problem:validation",
    "stale_revision": "urn:kelisim:problem:stale-revision",
    "event_conflict": "urn:kelisim:problem:event-conflict",
    "origin_not_allowed": "urn:kelisim:problem:origin-not-allowed",
    "unavailable": "urn:kelisim:problem:unavailable",
    "internal": "urn:kelisim:problem:internal",
}

# Quoted client input is cut short: a 16 KiB body of one bad field name must not echo back 16 KiB.
_QUOTE_LIMIT = 64


def quote(value: object) -> str:
    """A short, unambiguous rendering of a client-supplied value for an error message."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > _QUOTE_LIMIT:
        text = text[:_QUOTE_LIMIT] + "…"
    return json.dumps(text)


class ApiError(Exception):
    """A client-facing failure with the fields of a problem document.

    `errors` lists every problem with the input ({"field", "message"}), so a client fixes them all
    in one round trip; `extra` adds members such as `current_revision`.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: Sequence[Mapping[str, str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        *,
        type: str = "about:blank",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = [dict(error) for error in errors or ()]
        self.extra = dict(extra or {})
        self.type = type
        self.headers = dict(headers or {})

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "errors": self.errors,
        }
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body


def validation_error(errors: Sequence[Mapping[str, str]], detail: str | None = None) -> ApiError:
    """A 400 listing every field problem found."""
    if detail is None:
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return ApiError(400, "Invalid request", detail, errors=errors, type=PROBLEM_TYPES["validation"])


def problem_response(error: ApiError) -> Response:
    body = json.dumps(error.to_dict(), ensure_ascii=True, separators=(",", ":"))
    response = Response(body, status=error.status, mimetype=PROBLEM_MIMETYPE)
    for name, value in error.headers.items():
        response.headers[name] = value
    # Problems describe one request; a cache must never serve one in place of a later answer.
    response.headers["Cache-Control"] = "no-store"
    return response


def http_problem(status: int, detail: str | None = None, **kwargs: Any) -> ApiError:
    """An ApiError for a plain HTTP status, titled with the standard reason phrase."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return ApiError(status, phrase, detail or phrase, **kwargs)
