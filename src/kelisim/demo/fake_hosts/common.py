"""What every fake vendor response has in common: scripts, pixels, JSON, cookies and CORS.

The fake vendors answer like the real ones in the ways a consent manager and a scanner can observe:
the content type, third-party cookies marked `SameSite=None; Secure` (the only way a real vendor can
set one in a cross-site context), and CORS that echoes the page's origin with credentials, as the
real collect endpoints do. Every response is `no-store` so each visit reaches the server and the
log.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from werkzeug.wrappers import Request, Response

Handler = Callable[[Request], Response]

# The smallest valid transparent GIF, what tracking pixels answer with.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@cache
def script_source(name: str) -> str:
    return (
        resources.files("kelisim.demo.fake_hosts").joinpath("js", name).read_text(encoding="utf-8")
    )


def javascript(name: str, **replacements: str) -> Response:
    """Serve a loader from src/kelisim/demo/fake_hosts/js, with its `__KEY__` placeholders filled
    in."""
    body = script_source(name)
    for key, value in replacements.items():
        body = body.replace(f"__{key}__", value)
    return Response(body, mimetype="text/javascript")


def pixel() -> Response:
    return Response(PIXEL_GIF, mimetype="image/gif")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def html(body: str) -> Response:
    return Response(body, mimetype="text/html")


def empty() -> Response:
    return Response(status=204)


def not_found() -> Response:
    return Response("not a path this fake vendor serves\n", status=404, mimetype="text/plain")


def third_party_cookie(
    response: Response,
    request: Request,
    name: str,
    *,
    max_age: int | None,
    domain: str | None = None,
) -> None:
    """Set a vendor's own cookie once (keep the visitor's existing id, as real vendors do).

    `max_age=None` makes a session cookie: used where the real lifetime is not documented, so the
    demo does not invent one.
    """
    value = request.cookies.get(name) or secrets.token_hex(16)
    response.set_cookie(
        name, value, max_age=max_age, domain=domain, path="/", secure=True, samesite="None"
    )


def with_cors(request: Request, response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def preflight(request: Request) -> Response:
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = request.headers.get(
        "Access-Control-Request-Headers", "Content-Type"
    )
    response.headers["Access-Control-Max-Age"] = "600"
    return response
