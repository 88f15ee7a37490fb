"""CORS headers for the answers the worker gives before Flask sees a request (the prebuilt 503).

A banner served from the lender's own host but calling a Kelisim on another origin must be able
to read a 503 (and its Retry-After), or it cannot tell "busy, retry" from a network failure. The
check is the API's own: the request's Origin must be one a site of the live catalogue lists
(only that site when `?site=` names it), read from the worker's in-memory catalogue, so it costs
a dictionary lookup, never the database.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

__all__ = ["cors_headers"]


def cors_headers(app: Any, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """[("Vary", "Origin")] plus Access-Control-Allow-Origin when the origin is allowed."""
    headers = [("Vary", "Origin")]
    origin = environ.get("HTTP_ORIGIN")
    services = getattr(app, "extensions", {}).get("kelisim")
    if not origin or services is None:
        return headers
    try:
        sites = services.live.current().sites
    except Exception:  # the shed path must answer whatever the catalogue's state
        return headers
    named = parse_qs(environ.get("QUERY_STRING", "")).get("site")
    candidates = [sites[named[0]]] if named and named[0] in sites else list(sites.values())
    if any(site.allows_origin(origin) for site in candidates):
        headers.append(("Access-Control-Allow-Origin", origin))
    return headers
