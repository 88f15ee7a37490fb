"""A gunicorn gthread worker that reads each request in its event loop before a thread sees it.

gunicorn's gthread worker hands a connection to a thread as soon as the first byte arrives; the
thread then reads the rest with blocking calls. A client that sends one byte every few seconds
holds that thread for as long as it likes, and forty such clients held every thread of a
production server, so nothing else was answered (issue found by probing production mode).

Here the main loop reads instead: non-blocking, as bytes arrive, for every connection at once.
Only a request whose head and (up to `PREFETCH_BODY_BYTES`) body are complete is given to a
thread, with the bytes already read put back in front of gunicorn's own parser. A request that is
not complete within `READ_TIMEOUT` seconds of its first byte is dropped. Bigger bodies (scan
uploads) and chunked ones are handed over after the head; in production nginx buffers whole
requests before it forwards them (docs/operations.md), so such a body arrives at full speed.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import socket
import time
from functools import partial
from typing import Any

__all__ = ["PREFETCH_BODY_BYTES", "READ_TIMEOUT", "prefetching"]

READ_TIMEOUT = 10.0
PREFETCH_BODY_BYTES = 1024 * 1024
# A head longer than gunicorn allows is handed over so gunicorn answers its own 400/431.
MAX_HEAD_BYTES = 64 * 1024
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*([0-9]{1,12})[ \t]*\r\n", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.I)


def request_complete(buffer: bytes | bytearray) -> bool:
    """Whether `buffer` holds a whole request head and the body it announces (or enough)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return len(buffer) > MAX_HEAD_BYTES
    head = b"\r\n" + bytes(buffer[: end + 2])
    if _CHUNKED.search(head):
        return True
    match = _CONTENT_LENGTH.search(head)
    if match is None:
        return True
    length = int(match[1])
    return length > PREFETCH_BODY_BYTES or len(buffer) - (end + 4) >= length


def prefetching(worker_class: type) -> type:
    """`worker_class` (gunicorn's ThreadWorker or a subclass) with the read phase in its loop."""

    class PrefetchingWorker(worker_class):  # type: ignore[misc, valid-type]
        def init_process(self) -> None:
            self.kelisim_reading: dict[Any, float] = {}
            super().init_process()

        def enqueue_req(self, conn: Any) -> None:
            if getattr(conn, "kelisim_ready", False) or not self._prefetchable(conn):
                conn.kelisim_ready = False
                super().enqueue_req(conn)
                return
            conn.kelisim_buffer = bytearray()
            conn.sock.setblocking(False)
            self.kelisim_reading[conn] = time.monotonic() + READ_TIMEOUT
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self._kelisim_readable, conn)
            )

        def _prefetchable(self, conn: Any) -> bool:
            if self.cfg.is_ssl or getattr(conn, "is_http2", False):
                return False
            parser = getattr(conn, "parser", None)
            # Bytes a previous request read ahead are already in gunicorn's buffer: hand over.
            return parser is None or not parser.unreader.buf.getvalue()

        def _kelisim_readable(self, conn: Any, sock: Any) -> None:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._kelisim_drop(conn)
                return
            conn.kelisim_buffer += data
            if request_complete(conn.kelisim_buffer):
                self._kelisim_stop_reading(conn)
                conn.kelisim_prefetched = bytes(conn.kelisim_buffer)
                conn.kelisim_buffer = bytearray()
                conn.data_ready = True
                conn.kelisim_ready = True
                self.enqueue_req(conn)

        def _kelisim_stop_reading(self, conn: Any) -> None:
            self.kelisim_reading.pop(conn, None)
            with contextlib.suppress(KeyError, ValueError, OSError):
                self.poller.unregister(conn.sock)

        def _kelisim_drop(self, conn: Any) -> None:
            self._kelisim_stop_reading(conn)
            self.nr_conns -= 1
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            conn.close()

        def murder_pending(self) -> None:
            """gunicorn's sweep of idle connections, plus requests that arrive too slowly."""
            super().murder_pending()
            now = time.monotonic()
            for conn, deadline in list(self.kelisim_reading.items()):
                if deadline <= now:
                    self._kelisim_drop(conn)

        def handle(self, conn: Any) -> Any:
            prefetched = conn.__dict__.pop("kelisim_prefetched", None)
            if prefetched:
                conn.sock.setblocking(True)
                conn.init()
                conn.parser.unreader.unread(prefetched)
            return super().handle(conn)

    return PrefetchingWorker
