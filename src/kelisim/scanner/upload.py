"""Sending a finished scan to the Kelisim server, so marketers see it in the admin UI.

POST {server}/api/v1/scans with the report as JSON and a bearer token. Only the standard library
is used: the scanner runs in CI images where fewer dependencies mean fewer surprises.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TOKEN_ENV = "KELISIM_UPLOAD_TOKEN"


class UploadError(RuntimeError):
    """The server refused or could not be reached; the message says which and why."""


def upload(server: str, token: str | None, report: dict[str, Any], timeout: float = 30.0) -> str:
    """Returns the server's answer (e.g. the scan's id or URL) as text."""
    if not token:
        raise UploadError(f"--upload needs a token: pass --upload-token or set {TOKEN_ENV}")
    url = server.rstrip("/") + "/api/v1/scans"
    body = json.dumps(report, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        hint = {
            401: " (token rejected)",
            403: " (token lacks the scans permission)",
            404: (" (the server has no scans endpoint yet)"),
        }.get(exc.code, "")
        raise UploadError(f"upload to {url} failed: HTTP {exc.code}{hint}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UploadError(f"upload to {url} failed: {reason}") from exc
