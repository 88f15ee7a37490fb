"""The production server's own log (gunicorn's error logger included) holds no client address
and no raw control characters, whatever a client sends."""

from __future__ import annotations

import socket

import pytest

from kelisim.web.app import neutralise
from kelisim.web.logsafe import clean
from tests.support.crash import Server, production_env


def test_clean_escapes_every_control_and_redacts_addresses():
    assert clean("a\x1b[31mb\x00c\x08d\x7fe\u2028f\r\ng") == (
        "a\\x1b[31mb\\x00c\\x08d\\x7fe\\x2028f\\r\\ng"
    )
    assert clean("Invalid request from ip=203.0.113.9: bad") == "Invalid request from ip=[ip]: bad"
    assert clean("peer 2001:db8::7 and ::ffff:198.51.100.2") == "peer [ip] and [ip]"
    assert clean("at 12:34:56 in Class::method v1.2.3") == "at 12:34:56 in Class::method v1.2.3"
    assert neutralise("x\x1by") == "x\\x1by"


def _raw(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass


@pytest.mark.slow
def test_hostile_requests_leave_no_address_or_control_character_in_the_log(tmp_path):
    log = tmp_path / "server.log"
    env = production_env(f"sqlite:///{tmp_path / 'kelisim.sqlite3'}", tmp_path / "var")
    server = Server(env, log).start()
    try:
        _raw(server.port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")  # line too long
        _raw(server.port, b"GET /\x1b[2J\x08\x00 HTTP/1.1\r\nHost: x\r\n\r\n")  # invalid line
        escaped = b"GET /x%1b%5b2J%08%00%7f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _raw(server.port, escaped)
        _raw(server.port, b"BROKEN\r\n\r\n")
    finally:
        server.stop()
    written = log.read_bytes()
    assert b"Invalid request" in written or b"Request Line" in written, written[-2000:]
    # The server announces its own bind address once at start; no other line names an address.
    client_lines = [line for line in written.splitlines()[1:] if b"127.0.0.1" in line]
    assert client_lines == []
    for control in (b"\x1b", b"\x00", b"\x08", b"\x7f"):
        assert control not in written, control
