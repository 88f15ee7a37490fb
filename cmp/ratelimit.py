"""Rate limits that hold across every worker process of one server: GCRA counters in a SQLite file.

Why a file of its own, not a table in the consent database (a limit needs a shared
backend, never per-worker memory, or the limit multiplies by the worker count):
* The consent log on SQLite has one writer at a time and syncs every commit (WAL + FULL). A counter
  update per request in the same file would take that write lock and pay that fsync a second time
  for every consent, halving the capacity of the thing the limiter protects. Counters need no
  durability: losing them in a crash only forgets who was throttled. So this file runs with
  `synchronous=OFF`, and its lock never blocks an evidence write.
* PostgreSQL deployments would pay a network round trip and a WAL record per request for the same
  non-evidence.
* The cost: the limit is per host, not per cluster. A deployment with N hosts behind a balancer
  configures limits per host (docs/operations.md); load shedding is per host anyway.

GCRA (the "generic cell rate algorithm") keeps one number per key — the theoretical arrival time —
so a key is one row, a check is one read and one write, and bursts up to the limit are allowed.
Keys are HMACs: the file never holds an IP prefix or a consent id in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Admission", "ConsentLimits", "Decision", "RateLimiter", "network_of"]

_SCHEMA = "CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, tat REAL NOT NULL)"
# How often (in checks) expired rows are swept, so the file stays small without a cron job.
_SWEEP_EVERY = 1000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds until the next request would be allowed (0 when allowed)


class RateLimiter:
    """`check(kind, value, limit, period)` → Decision; shared by every process using `path`.

    `path=None` keeps the counters in this process only (tests, the development server).
    Connections are opened per process and per thread, so the limiter survives gunicorn's fork and
    threaded workers; SQLite's own locking serialises the processes.
    """

    def __init__(
        self,
        path: Path | None,
        key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._path = path
        self._key = key
        self._clock = clock
        self._local = threading.local()
        self._memory_lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        self._checks = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                # Switching to WAL takes an exclusive lock: only do it when the file is not WAL yet
                # (production switches it once in the master, before the workers start).
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(_SCHEMA)
            finally:
                conn.close()

    def _connect(self) -> sqlite3.Connection:
        assert self._path is not None
        conn = sqlite3.connect(self._path, timeout=5.0, isolation_level=None)
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA busy_timeout = 5000")
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._path is None:
            if self._memory is None:
                self._memory = sqlite3.connect(
                    ":memory:", isolation_level=None, check_same_thread=False
                )
                self._memory.execute(_SCHEMA)
            return self._memory
        # A connection must not cross a fork: key it by pid as well as by thread.
        cached = getattr(self._local, "conn", None)
        if cached is None or cached[0] != os.getpid():
            self._local.conn = (os.getpid(), self._connect())
        return self._local.conn[1]

    def _hashed(self, kind: str, value: str) -> str:
        message = f"kelisim.ratelimit\x00{kind}\x00{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def check(self, kind: str, value: str, limit: int, period: float = 60.0) -> Decision:
        """Count one request for (kind, value): at most `limit` per `period` seconds, bursts too.

        A limit of 0 or less means no limit. Fails open on a locked or broken counter file: the
        limiter protects capacity, and refusing consents because a counter is unreadable would turn
        its failure into an outage of the consent log.
        """
        if limit <= 0:
            return Decision(True, 0)
        key = self._hashed(kind, value)
        interval = period / limit
        tolerance = period - interval  # a full burst of `limit` requests is allowed at once
        if self._path is None:
            with self._memory_lock:
                return self._check(self._connection(), key, interval, tolerance)
        try:
            return self._check(self._connection(), key, interval, tolerance)
        except sqlite3.Error:
            self._local.conn = None
            return Decision(True, 0)

    def _check(
        self, conn: sqlite3.Connection, key: str, interval: float, tolerance: float
    ) -> Decision:
        now = self._clock()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT tat FROM rate_limits WHERE key = ?", (key,)).fetchone()
            tat = max(row[0], now) if row is not None else now
            if tat - now > tolerance:
                conn.execute("COMMIT")
                wait = tat - now - tolerance
                return Decision(False, max(1, int(wait + 0.999)))
            conn.execute(
                "INSERT INTO rate_limits (key, tat) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
                (key, tat + interval),
            )
            self._checks += 1
            if self._checks % _SWEEP_EVERY == 0:
                conn.execute("DELETE FROM rate_limits WHERE tat < ?", (now,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return Decision(True, 0)

    def close(self) -> None:
        cached = getattr(self._local, "conn", None)
        if cached is not None:
            cached[1].close()
            self._local.conn = None
        if self._memory is not None:
            self._memory.close()
            self._memory = None


class Admission:
    """A bounded number of consent writes in flight per worker; the rest are shed, not queued.

    Under overload a queue only turns every answer into a late one (and clients retry on top);
    a request that cannot get a slot within `wait` seconds is answered 503 at once, so a client
    learns within ~100 ms to come back later, and what is admitted still commits quickly.
    """

    def __init__(self, slots: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(max(1, slots)) if slots > 0 else None
        self._wait = wait

    def expired(self, waited: float) -> bool:
        """Whether a request that already waited `waited` seconds (queued in the server) is late."""
        return self._slots is not None and waited >= self._wait

    def acquire(self, waited: float = 0.0) -> bool:
        """Take a slot within what is left of the wait budget after `waited` seconds queued."""
        if self._slots is None:
            return True
        remaining = self._wait - waited
        return remaining > 0 and self._slots.acquire(timeout=remaining)

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()


def network_of(ip: str | None) -> str | None:
    """The client's /24 (IPv4) or /48 (IPv6): one visitor's neighbourhood, not the visitor."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass
class ConsentLimits:
    """What the consent API needs to protect the log: the shared limiter and this worker's slots."""

    limiter: RateLimiter
    admission: Admission
    per_network: int
    per_consent: int

    def close(self) -> None:
        self.limiter.close()
