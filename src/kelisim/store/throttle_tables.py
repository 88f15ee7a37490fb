"""Counters that must agree across every host: consent-API rate limits and the login throttle.

They are operational state, not evidence: losing them in a crash only forgets who was throttled, so
on PostgreSQL both tables are UNLOGGED (no WAL record, no fsync per request) and on SQLite the
limiter writes them on a connection without per-commit sync. Times are epoch seconds (a float), so
the single atomic statement that checks and counts an attempt (kelisim.services.ratelimit,
kelisim.services.throttle) can do its arithmetic in SQL the same way on both engines. The schema
itself comes only from the Alembic migration `0009_shared_throttles`; tests check that the two
agree.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table

metadata = MetaData()

# GCRA: one row per limited key (an HMAC of a network or a consent id), holding the theoretical
# arrival time of the next request.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("tat", Float, nullable=False),
)

# Failed staff logins per account and per client network (HMAC keys, never the name or the IP):
# `used` attempts in the current round; the `limit`-th starts a lock of `base * 2**level`
# seconds; attempts during a lock are counted in `failures` but change nothing else.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("used", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("locked_until", Float, nullable=True),
    Column("last_lock_at", Float, nullable=True),
    Column("last_attempt_at", Float, nullable=False),
    Column("failures", Integer, nullable=False),
    # 1 when the last attempt was let through to the password check, 0 when it was refused:
    # read back in the same statement, so it is that attempt's own outcome.
    Column("last_granted", Integer, nullable=False),
)
