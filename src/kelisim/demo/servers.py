"""Threaded WSGI servers on loopback: plain HTTP for the site and the CMP, TLS for the fake vendors.

Werkzeug's own TLS mode performs the handshake in the accepting thread, so one browser socket that
stalls mid-handshake (Chromium preconnects speculatively) would freeze every other vendor. Here the
handshake runs in the connection's own thread instead.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from kelisim.demo.recorder import WSGIApp

HANDSHAKE_TIMEOUT = 10.0


class QuietHandler(WSGIRequestHandler):
    """Request lines are the request log's job; the console stays readable for the demo's hints."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class TLSWSGIServer(ThreadedWSGIServer):
    """A threaded WSGI server that wraps each accepted socket and handshakes in its own thread."""

    def __init__(self, host: str, port: int, app: WSGIApp, tls: ssl.SSLContext) -> None:
        super().__init__(host, port, app, handler=QuietHandler)
        self._tls = tls
        # Marks requests as https for the WSGI environ, without Werkzeug wrapping the listener.
        self.ssl_context = tls

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        return self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            request.do_handshake()
            request.settimeout(None)
        except (ssl.SSLError, OSError):
            self.shutdown_request(request)
            return
        super().process_request_thread(request, client_address)


class ServerThread:
    """One server running in a daemon thread, stoppable from any thread."""

    def __init__(self, server: ThreadedWSGIServer, name: str) -> None:
        self.server = server
        self.port: int = server.socket.getsockname()[1]
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def serve_http(app: WSGIApp, host: str, port: int, name: str) -> ServerThread:
    server = ThreadedWSGIServer(host, port, app, handler=QuietHandler)
    return ServerThread(server, name).start()


def serve_https(app: WSGIApp, host: str, port: int, tls: ssl.SSLContext, name: str) -> ServerThread:
    return ServerThread(TLSWSGIServer(host, port, app, tls), name).start()
