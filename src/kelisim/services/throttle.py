"""The staff login throttle: exponential lock-outs per account and per network, in the database.

An attempt is counted BEFORE the password is checked, in one atomic upsert per key that both
decides whether this attempt may be verified and records it. Concurrent attempts on any host are
serialised by the key's row, so a burst of fifty wrong passwords spread over several hosts gets
exactly `limit` password checks and records exactly fifty attempts, where a check-then-insert in
two transactions let every attempt of a burst through.

Lock-outs an attacker cannot extend forever (ASVS 5.0 6.3.1 asks for anti-automation without
letting it become a denial of service):
* the `limit`-th attempt of a round starts a lock of `base * 2**level` seconds (capped); the level
  rises by one with each lock and falls back to 0 a day after the last lock;
* attempts while a key is locked are counted and refused, but never lengthen the lock;
* a successful login clears its account's row; staff can clear it by hand (`Accounts.unlock`,
  the admin's users page, `kelisim users unlock`).

Keys are HMACs of the account name or of the network prefix, so the table never holds either.
Domain code: no Flask.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from kelisim.store.throttle_tables import login_throttle

__all__ = ["Attempt", "LoginThrottle", "ThrottleKey", "ThrottleState"]

t = login_throttle.c


@dataclass(frozen=True)
class ThrottleKey:
    """One counter an attempt is charged to, with its own limit per round."""

    key_hash: str
    limit: int


@dataclass(frozen=True)
class Attempt:
    granted: bool
    retry_after: int | None = None
    """Whole seconds until the lock that refused this attempt ends."""


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    locked_until: float | None
    level: int


class LoginThrottle:
    def __init__(
        self,
        engine: Engine,
        *,
        base_lock_seconds: float = 60.0,
        max_lock_seconds: float = 3600.0,
        round_seconds: float = 15 * 60.0,
        level_decay_seconds: float = 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`engine` writes (SQLite: BEGIN IMMEDIATE); `round_seconds` of quiet forget a round."""
        self._engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self.base = base_lock_seconds
        self.cap = max_lock_seconds
        self.round = round_seconds
        self.decay = level_decay_seconds
        self.clock = clock
        # Enough doublings to reach the cap; the level never rises past it.
        self.max_level = max(0, math.ceil(math.log2(max(1.0, self.cap / self.base))))

    def lock_seconds(self, level: int) -> float:
        return min(self.cap, self.base * 2 ** min(level, self.max_level))

    def attempt(self, keys: Sequence[ThrottleKey]) -> Attempt:
        """Charge one attempt to every key, in order; granted only if no key refused it.

        A key that refused stops the charge: later keys only count the attempt (a locked network
        does not use up the accounts it guesses at, and an attempt is recorded once per key).
        """
        now = self.clock()
        with self._engine.begin() as conn:
            for index, key in enumerate(keys):
                granted, locked_until = self._reserve(conn, key, now)
                if not granted:
                    for later in keys[index + 1 :]:
                        self._count(conn, [later.key_hash], now)
                    wait = (locked_until or now) - now
                    return Attempt(False, max(1, math.ceil(wait)))
        return Attempt(True)

    def _reserve(self, conn: Connection, key: ThrottleKey, now: float) -> tuple[bool, float | None]:
        """One atomic upsert: refuse during a lock, else use a slot (the last one starts a lock)."""
        locked = and_(t.locked_until.is_not(None), t.locked_until > now)
        used = case((t.last_attempt_at < now - self.round, 0), else_=t.used)
        level = case(
            (or_(t.last_lock_at.is_(None), t.last_lock_at < now - self.decay), 0),
            else_=t.level,
        )
        starts_lock = used + 1 >= key.limit
        duration = case(
            *[(level == n, self.lock_seconds(n)) for n in range(self.max_level)],
            else_=self.lock_seconds(self.max_level),
        )
        next_level = case((level >= self.max_level, self.max_level), else_=level + 1)
        first_locks = key.limit <= 1
        statement = (
            self._insert(login_throttle)
            .values(
                key_hash=key.key_hash,
                used=0 if first_locks else 1,
                level=1 if first_locks and self.max_level else 0,
                locked_until=now + self.lock_seconds(0) if first_locks else None,
                last_lock_at=now if first_locks else None,
                last_attempt_at=now,
                failures=0,
                last_granted=1,
            )
            .on_conflict_do_update(
                index_elements=[t.key_hash],
                set_={
                    "used": case((locked, t.used), (starts_lock, 0), else_=used + 1),
                    "level": case((locked, t.level), (starts_lock, next_level), else_=level),
                    "locked_until": case(
                        (locked, t.locked_until), (starts_lock, now + duration), else_=None
                    ),
                    "last_lock_at": case(
                        (locked, t.last_lock_at), (starts_lock, now), else_=t.last_lock_at
                    ),
                    "last_attempt_at": case((locked, t.last_attempt_at), else_=now),
                    "failures": case((locked, t.failures + 1), else_=t.failures),
                    "last_granted": case((locked, 0), else_=1),
                },
            )
            .returning(t.last_granted, t.locked_until)
        )
        row = conn.execute(statement).one()
        return bool(row.last_granted), row.locked_until

    def _count(self, conn: Connection, key_hashes: Sequence[str], now: float) -> None:
        """Record a failed attempt without using a slot (after a wrong password, or refused)."""
        for key_hash in key_hashes:
            conn.execute(
                self._insert(login_throttle)
                .values(
                    key_hash=key_hash,
                    used=0,
                    level=0,
                    locked_until=None,
                    last_lock_at=None,
                    last_attempt_at=now,
                    failures=1,
                    last_granted=0,
                )
                .on_conflict_do_update(
                    index_elements=[t.key_hash], set_={"failures": t.failures + 1}
                )
            )

    def failed(self, keys: Sequence[ThrottleKey]) -> None:
        """The password check of a granted attempt failed: count it on every key."""
        with self._engine.begin() as conn:
            self._count(conn, [key.key_hash for key in keys], self.clock())

    def clear(self, key_hash: str) -> bool:
        """Forget a key's round, level and lock (a successful login, or a staff unlock)."""
        with self._engine.begin() as conn:
            return conn.execute(delete(login_throttle).where(t.key_hash == key_hash)).rowcount > 0

    def state(self, key_hash: str) -> ThrottleState | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(login_throttle).where(t.key_hash == key_hash)).first()
        if row is None:
            return None
        return ThrottleState(failures=row.failures, locked_until=row.locked_until, level=row.level)

    def sweep(self) -> None:
        """Drop rows nobody has touched for longer than a level lasts: they hold nothing."""
        cutoff = self.clock() - max(self.decay, self.cap)
        with self._engine.begin() as conn:
            conn.execute(
                delete(login_throttle).where(
                    t.last_attempt_at < cutoff,
                    or_(t.locked_until.is_(None), t.locked_until < cutoff),
                )
            )
