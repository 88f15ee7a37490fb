"""Flocktory: loader.js, the provider.html frame, the setup API and the tracking image."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts.common import (
    Handler,
    html,
    javascript,
    json_response,
    not_found,
    pixel,
)

PROVIDER_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>provider</title></head>
<body><script>parent.postMessage({flocktory: "provider-ready"}, "*");</script></body></html>"""


def api(request: Request) -> Response:
    if request.path == "/v2/loader.js":
        return javascript("flocktory-loader.js")
    if request.path == "/v2/provider/provider.html":
        return html(PROVIDER_HTML)
    if request.path == "/u_shaman/setup-api":
        return json_response({"campaigns": [], "site_id": request.args.get("site_id")})
    if request.path.startswith("/underworld/tracks/"):
        return pixel()
    return not_found()


HOSTS: dict[str, Handler] = {"api.flocktory.com": api}
