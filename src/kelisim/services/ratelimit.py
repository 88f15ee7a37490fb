"""Rate limits that hold across every worker and every host: GCRA counters in the database.

A limit needs a shared backend, never per-worker memory, or the limit multiplies by
the worker count; a deployment of several hosts behind a balancer needs the same across hosts, so
the counters live in the `rate_limits` table of the consent database (PostgreSQL in production,
the SQLite file for the embedded default). They are not evidence: the table is UNLOGGED on
PostgreSQL and written without per-commit sync on SQLite (kelisim.store.counters), so a check costs
no fsync and never waits for the consent log's durable commit.

GCRA (the "generic cell rate algorithm") keeps one number per key — the theoretical arrival time —
so a key is one row, and a check is ONE atomic upsert: it moves the arrival time on only when the
request is within the limit and returns the row only then. Concurrent checks from any host are
serialised by the row itself, so a burst spread over hosts gets exactly `limit` through.
Keys are HMACs: the table never holds an IP prefix or a consent id in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from kelisim.store.throttle_tables import rate_limits

__all__ = ["Admission", "ConsentLimits", "Decision", "RateLimiter", "network_of"]

log = logging.getLogger(__name__)

# How often (in checks, per process) expired rows are swept, so the table stays small.
_SWEEP_EVERY = 1000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds until the next request would be allowed (0 when allowed)


class RateLimiter:
    """`check(kind, value, limit, period)` → Decision; shared by every process on `engine`'s DB."""

    def __init__(
        self,
        engine: Engine,
        key: bytes,
        clock: Callable[[], float] = time.time,
        *,
        owns_engine: bool = False,
    ) -> None:
        """`owns_engine`: the engine was made for the limiter (SQLite) and is disposed on close."""
        self._engine = engine
        self._owns_engine = owns_engine
        self._key = key
        self._clock = clock
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._checks = 0
        self._count_lock = threading.Lock()

    def _hashed(self, kind: str, value: str) -> str:
        message = f"kelisim.ratelimit\x00{kind}\x00{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def check(self, kind: str, value: str, limit: int, period: float = 60.0) -> Decision:
        """Count one request for (kind, value): at most `limit` per `period` seconds, bursts too.

        A limit of 0 or less means no limit. Fails open on an unreachable or locked table: the
        limiter protects capacity, and refusing consents because a counter is unreadable would turn
        its failure into an outage of the consent log.
        """
        if limit <= 0:
            return Decision(True, 0)
        key = self._hashed(kind, value)
        interval = period / limit
        tolerance = period - interval  # a full burst of `limit` requests is allowed at once
        try:
            return self._check(key, interval, tolerance)
        except SQLAlchemyError as error:
            log.warning("rate limit not checked (allowed): %s", type(error).__name__)
            return Decision(True, 0)

    def _check(self, key: str, interval: float, tolerance: float) -> Decision:
        now = self._clock()
        tat = rate_limits.c.tat
        start = case((tat > now, tat), else_=now)  # max(tat, now), the same on both engines
        statement = (
            self._insert(rate_limits)
            .values(key=key, tat=now + interval)
            .on_conflict_do_update(
                index_elements=[rate_limits.c.key],
                set_={"tat": start + interval},
                where=start - now <= tolerance,
            )
            .returning(rate_limits.c.tat)
        )
        with self._engine.begin() as conn:
            admitted = conn.execute(statement).first() is not None
            if not admitted:
                current = conn.execute(select(tat).where(rate_limits.c.key == key)).scalar()
            if self._due_for_sweep():
                conn.execute(delete(rate_limits).where(tat < now))
        if admitted:
            return Decision(True, 0)
        wait = (current or now) - now - tolerance
        return Decision(False, max(1, int(wait + 0.999)))

    def _due_for_sweep(self) -> bool:
        with self._count_lock:
            self._checks += 1
            return self._checks % _SWEEP_EVERY == 0

    def close(self) -> None:
        if self._owns_engine:
            self._engine.dispose()


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


@lru_cache(maxsize=4096)
def network_of(ip: str | None) -> str | None:
    """The client's /24 (IPv4) or /48 (IPv6): one visitor's neighbourhood, not the visitor.

    Cached: parsing the address cost more than the rest of the limiter's work per consent POST,
    and a visitor's POSTs, like the visitors behind one carrier NAT, come from one address.
    """
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
