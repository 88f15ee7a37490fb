"""Tables behind the admin UI: accounts, their sessions, failed-login counters and the audit log.

They live apart from the consent log's tables (own MetaData) because they are a different kind of
record: the consent log is append-only evidence about visitors, these are mutable operational state
about staff. The schema itself is created only by the Alembic migration `0002_admin_accounts`;
these definitions are what the domain modules (`kelisim.services.accounts`,
`kelisim.services.audit`) query through, and a
test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# The consent log's UTC type, so timestamps behave the same in every table (timestamptz on
# PostgreSQL, naive UTC on SQLite).
from kelisim.store.schema import UtcDateTime

metadata = MetaData()


admin_users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime, nullable=True),
    # The actor who created the account or last changed its role (migration 0009).
    Column("role_granted_by", String(80), nullable=True),
)

# The cookie carries a random session id; only its SHA-256 is stored, so a copy of the database
# does not hand out live sessions.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("admin_users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

# One row per failed login, keyed by an HMAC of the username or of the client's network prefix:
# people sometimes type a password into the username field, so the attempted name is never stored.
admin_login_failures = Table(
    "admin_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_hash", String(64), nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    Index("ix_admin_login_failures_key_time", "key_hash", "failed_at"),
)

# A staff member's TOTP secret (RFC 6238), confirmed once a code from it was entered; last_step
# is the newest 30-second step accepted, so a code cannot be used twice (migration 0009).
admin_totp = Table(
    "admin_totp",
    metadata,
    Column(
        "user_id",
        Integer,
        ForeignKey("admin_users.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("secret", String(64), nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),
    Column("last_step", Integer, nullable=False),
)

# One-time recovery codes: only a SHA-256 of each (they are random, so a plain hash suffices).
admin_recovery_codes = Table(
    "admin_recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("admin_users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("used_at", UtcDateTime, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    # The entry's leaf in the audit tree (kelisim.store.audit_tree), hex SHA-256.
    Column("leaf_hash", String(64), nullable=True),
)

# The audit tree's size and right-edge peaks (hex, largest first): one row, locked per append.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", Integer, nullable=False),
    Column("peaks", Text, nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", Integer, nullable=False),
    Column("root_hash", String(64), nullable=False),
    Column("verifier_key", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    UniqueConstraint("tree_size", "verifier_key", name="uq_audit_checkpoints_size_key"),
)
