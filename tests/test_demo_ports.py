"""`kelisim demo` on a machine where its default ports are already taken."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from kelisim.demo.run import start_demo


@pytest.fixture
def taken_port():
    """A loopback port some other program is listening on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_replaced_by_a_free_one_and_said(tmp_path, taken_port):
    handle = start_demo(cmp_port=taken_port, state_dir=tmp_path, free_port_fallback=True)
    try:
        chosen = handle.replaced_ports[taken_port]
        assert chosen != taken_port
        assert handle.cmp_url.endswith(f":{chosen}")
        with urllib.request.urlopen(f"{handle.cmp_url}/api/v1/config", timeout=10) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(f"{handle.site_url}/ru/", timeout=10) as answer:
            assert handle.cmp_url in answer.read().decode()
    finally:
        handle.stop()


def test_a_taken_port_fails_without_the_fallback(tmp_path, taken_port):
    with pytest.raises(OSError):
        start_demo(cmp_port=taken_port, state_dir=tmp_path)
