"""Slow clients cannot starve others: forty connections trickling their head or body one byte
at a time hold no worker thread of `kelisim serve --production`, so normal requests are still
answered at once; and a request that never completes is dropped after the read timeout."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from kelisim.web.prefetch import READ_TIMEOUT, request_complete
from tests.support.crash import Server, production_env

SLOW_CLIENTS = 40


def test_request_complete_waits_for_the_head_and_the_announced_body():
    assert not request_complete(b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert request_complete(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    post = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
    assert not request_complete(post + b"abc")
    assert request_complete(post + b"abcde")
    assert request_complete(b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert request_complete(b"POST /a HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n")


def _trickle(port: int, head_only: bool, stop: threading.Event) -> None:
    """One byte every half second, for as long as the test runs."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError:
        return
    payload = b"POST /api/v1/consent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if not head_only:
        sock.sendall(payload + b"Content-Length: 400\r\n\r\n{")
        payload = b" " * 400
    try:
        for byte in payload:
            if stop.wait(0.5):
                break
            sock.send(bytes([byte]))
    except OSError:
        pass
    finally:
        sock.close()


@pytest.mark.slow
def test_forty_slow_clients_do_not_starve_normal_requests(tmp_path):
    env = production_env(f"sqlite:///{tmp_path / 'kelisim.sqlite3'}", tmp_path / "var")
    server = Server(env, tmp_path / "server.log").start()
    stop = threading.Event()
    slow = [
        threading.Thread(target=_trickle, args=(server.port, n % 2 == 0, stop), daemon=True)
        for n in range(SLOW_CLIENTS)
    ]
    try:
        for thread in slow:
            thread.start()
        time.sleep(1.5)  # every slow client is connected and has sent its first bytes
        timings = []
        for _ in range(12):
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            try:
                conn.request("GET", "/api/v1/config?site=default&lang=ru")
                response = conn.getresponse()
                response.read()
                timings.append((response.status, time.monotonic() - started))
            except (OSError, http.client.HTTPException) as error:
                timings.append((type(error).__name__, time.monotonic() - started))
            finally:
                conn.close()
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in slow:
            thread.join(5)
        server.stop()
    print("normal requests during the slow clients:", timings)
    assert all(status == 200 for status, _ in timings), timings
    assert max(seconds for _, seconds in timings) < 2.0, timings


@pytest.mark.slow
def test_a_request_that_never_completes_is_dropped_after_the_read_timeout(tmp_path):
    env = production_env(f"sqlite:///{tmp_path / 'kelisim.sqlite3'}", tmp_path / "var")
    server = Server(env, tmp_path / "server.log").start()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=READ_TIMEOUT + 10)
        sock.sendall(b"GET /api/v1/config HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed, without an answer
        assert READ_TIMEOUT - 1 <= time.monotonic() - started <= READ_TIMEOUT + 5
        sock.close()
    finally:
        server.stop()
