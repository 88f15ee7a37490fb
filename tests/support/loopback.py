"""The loopback web servers the scanner's test sites run on: one port on 127.0.0.1 that answers
for the site and for every vendor hostname Chromium is told to map to it."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterable


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that leaves a page closes its connections mid-answer (the scanner's leave
        step does so on every visit): that is the visit, not a fault of the site."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """Keep-alive, no access log (the tests read what the browser did, not the server's lines)."""

    protocol_version = "HTTP/1.1"
    # Headers every response of this site carries (e.g. CORS for a vendor host's beacons).
    always: tuple[tuple[str, str], ...] = ()

    def log_message(self, *args: object) -> None:
        return None

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        """A whole response, never cached, so a second visit in one context asks again."""
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in {**dict(self.always), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class LoopbackServer:
    """`handler` served on a free port of 127.0.0.1 from a daemon thread until stop()."""

    def __init__(
        self, handler: type[http.server.BaseHTTPRequestHandler], vendor_hosts: Iterable[str]
    ) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.vendor_hosts = tuple(vendor_hosts)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def resolve_args(self) -> list[str]:
        """`kelisim scan` options that send every vendor hostname to this server."""
        return [
            arg
            for host in self.vendor_hosts
            for arg in ("--resolve", f"MAP {host} 127.0.0.1:{self.port}")
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
