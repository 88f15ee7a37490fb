"""The fake vendor hosts as one WSGI app that answers by the Host header (the browser's SNI name).

The demo's HTTPS server serves every fake hostname from one loopback port; this app picks the vendor
by Host, records the request first (so a failed or aborted request is still counted, as a scanner
must count it), answers with CORS like the real collect endpoints, and exposes the record at
`/__kelisim/requests` on the server's own loopback name for people watching the demo by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from kelisim.demo.fake_hosts import (
    amplitude,
    appsflyer,
    clarity,
    flocktory,
    google,
    juicyscore,
    mailru,
    vk,
    yandex,
)
from kelisim.demo.fake_hosts.common import Handler, preflight, with_cors
from kelisim.demo.recorder import RequestLog

HOSTS: dict[str, Handler] = {}
for _module in (google, yandex, appsflyer, vk, mailru, amplitude, clarity, juicyscore, flocktory):
    HOSTS.update(_module.HOSTS)

HOSTNAMES: tuple[str, ...] = tuple(sorted(HOSTS))
CONTROL_PATH = "/__kelisim/requests"


class FakeVendors:
    """WSGI app: vendor hosts by Host header; the control endpoint on any other name (127.0.0.1)."""

    def __init__(self, log: RequestLog) -> None:
        self.log = log

    def _control(self, request: Request) -> Response:
        if request.path != CONTROL_PATH:
            return Response("unknown host: not one of the fake vendors\n", status=421)
        if request.method in ("DELETE", "POST"):
            self.log.clear()
            return Response(status=204)
        host = request.args.get("host")
        body = json.dumps([item.to_dict() for item in self.log.items(host)], indent=1)
        return Response(body, mimetype="application/json")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        host = request.host.split(":", 1)[0].lower()
        handler = HOSTS.get(host)
        if handler is None:
            response = self._control(request)
        else:
            self.log.record(request)
            response = preflight(request) if request.method == "OPTIONS" else handler(request)
            response = with_cors(request, response)
        return response(environ, start_response)
