"""The consent log's tables as SQLAlchemy Core objects, for queries only.

The database schema is created by the Alembic migrations (`0001_consent_log`, `0005_merkle_log`),
never from these objects; tests/test_store.py checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# INTEGER PRIMARY KEY on SQLite is the rowid (compact, fast); BIGINT elsewhere. Values are assigned
# under the log lock, never by a sequence, so a rolled-back insert leaves no gap that verify()
# would have to tell apart from a deleted row. An event's Merkle leaf index is seq - 1.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out on both backends.

    SQLite has no zones, so naive UTC is stored there; PostgreSQL gets an aware value for its
    timestamptz, so the server's TimeZone setting cannot shift what is recorded.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC was expected")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


consent_events = Table(
    "consent_events",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=False),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("consent_id", String(128), nullable=False, index=True),
    Column("site", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("grants", Text, nullable=False),  # canonical JSON
    Column("purposes", Text, nullable=False),  # canonical JSON
    Column("revision", Integer, nullable=False),
    Column("catalogue_hash", String(80), nullable=False),
    Column("language", String(16), nullable=False),
    Column("page", Text, nullable=True),
    Column("region", String(16), nullable=True),
    Column("device_class", String(16), nullable=False),
    Column("is_bot", Boolean, nullable=False),
    Column("ip_prefix", String(64), nullable=True),
    Column("ip_hmac", String(64), nullable=True),
    Column("gpc", Boolean, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("request_fingerprint", String(64), nullable=False),
    Column("redacted", Boolean, nullable=False, default=False),
    Column("personal_digest", String(64), nullable=False),
    # The RFC 6962 leaf hash of the event's leaf (kelisim.store.leaves), hex.
    Column("hash", String(64), nullable=False),
)

catalogue_snapshots = Table(
    "catalogue_snapshots",
    metadata,
    Column("hash", String(80), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON
    Column("saved_at", UtcDateTime, nullable=False),
)

# The row every batch of appends locks; tree_size is the number of leaves (= the last seq). The
# legacy_* columns keep the head of the hash chain that migration 0005 turned into the tree.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tree_size", SeqType, nullable=False),
    Column("legacy_chain_seq", SeqType, nullable=True),
    Column("legacy_chain_hash", String(64), nullable=True),
    CheckConstraint("id = 1", name="ck_log_head_single_row"),
)

# The Merkle tree's complete subtrees, in Go sumdb/tlog's stored-hash layout (kelisim.store.merkle):
# written once when the leaf that completes them is appended, never updated.
log_hashes = Table(
    "log_hashes",
    metadata,
    Column("id", SeqType, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Every signed checkpoint ever issued, as the signed note text served to verifiers.
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tree_size", SeqType, nullable=False, index=True),
    Column("root_hash", String(64), nullable=False),  # hex, for verify's comparisons
    Column("verifier_key", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    UniqueConstraint("tree_size", "verifier_key", name="uq_log_checkpoints_size_key"),
)

# Every public key that ever signed a checkpoint, so old checkpoints verify after a rotation.
log_keys = Table(
    "log_keys",
    metadata,
    Column("verifier_key", String(200), primary_key=True),
    Column("first_used_at", UtcDateTime, nullable=False),
)
