"""The consent log becomes an append-only Merkle tree (RFC 6962) with signed checkpoints.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Every event already recorded becomes a leaf, in seq order (leaf index = seq - 1). Its leaf is the
exact text whose SHA-256 the hash chain stored as `digest` (kelisim.store.leaves), so the migration
first re-checks the old chain row by row — digest, link and head — and refuses to run on a chain
that does not verify: turning tampered rows into signed leaves would launder them. It then stores
each row's RFC 6962 leaf hash in `hash`, writes the tree's stored hashes (Go sumdb/tlog layout,
kelisim.store.merkle), and keeps the old chain head in `log_head.legacy_chain_*`. The first
checkpoint is signed by the server on its next start, so every old event is provable from then on.

Written out rather than from kelisim.store.schema, so this revision means the same thing forever;
the canonical form and the tree arithmetic are fixed by the leaf format and by RFC 6962.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from kelisim.store.merkle import CompactTree, leaf_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)
GENESIS_HASH = "0" * 64
PERSONAL_FIELDS = ("consent_id", "page", "region", "ip_prefix", "ip_hmac")
TEXT_FIELDS = (
    "event_id", "consent_id", "site", "action", "status", "catalogue_hash", "language", "page",
    "region", "device_class", "ip_prefix", "ip_hmac",
)  # fmt: skip
BATCH = 1000


class ChainDoesNotVerify(RuntimeError):
    """The old hash chain is broken: refuse to sign its rows into the Merkle tree."""


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _time_text(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _leaf(row: Any) -> tuple[bytes, str]:
    """The row's leaf as the chain digested it, and its personal digest."""
    fields: dict[str, Any] = {name: row[name] for name in TEXT_FIELDS}
    fields.update(
        is_bot=bool(row["is_bot"]),
        gpc=bool(row["gpc"]),
        revision=row["revision"],
        grants=json.loads(row["grants"]),
        purposes=json.loads(row["purposes"]),
        recorded_at=_time_text(row["recorded_at"]),
        expires_at=_time_text(row["expires_at"]),
    )
    if row["redacted"]:
        personal = row["personal_digest"]
    else:
        personal_fields = {name: fields[name] for name in PERSONAL_FIELDS}
        personal = hashlib.sha256(_canonical(personal_fields).encode()).hexdigest()
    record = {name: value for name, value in fields.items() if name not in PERSONAL_FIELDS}
    return _canonical({"personal": personal, "record": record}).encode(), personal


def _create_tables() -> sa.Table:
    head = op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("tree_size", SEQ, nullable=False),
        sa.Column("legacy_chain_seq", SEQ, nullable=True),
        sa.Column("legacy_chain_hash", sa.String(64), nullable=True),
        sa.CheckConstraint("id = 1", name="ck_log_head_single_row"),
    )
    op.create_table(
        "log_hashes",
        sa.Column("id", SEQ, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tree_size", SEQ, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("verifier_key", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", TIME, nullable=False),
        sa.UniqueConstraint("tree_size", "verifier_key", name="uq_log_checkpoints_size_key"),
    )
    op.create_index("ix_log_checkpoints_tree_size", "log_checkpoints", ["tree_size"])
    op.create_table(
        "log_keys",
        sa.Column("verifier_key", sa.String(200), primary_key=True),
        sa.Column("first_used_at", TIME, nullable=False),
    )
    return head


def _rows_in_order(conn: Any) -> Any:
    """Every event in seq order, a page at a time (the table may be large)."""
    last = 0
    while True:
        page = (
            conn.execute(
                sa.text("SELECT * FROM consent_events WHERE seq > :last ORDER BY seq LIMIT :n"),
                {"last": last, "n": BATCH},
            )
            .mappings()
            .all()
        )
        if not page:
            return
        yield from page
        last = page[-1]["seq"]


def upgrade() -> None:
    conn = op.get_bind()
    head_table = _create_tables()
    hashes = sa.table("log_hashes", sa.column("id"), sa.column("hash", sa.LargeBinary()))
    old_head = conn.execute(sa.text("SELECT last_seq, last_hash FROM chain_head")).one()
    tree = CompactTree()
    previous = GENESIS_HASH
    pending_hashes: list[dict[str, Any]] = []
    pending_rows: list[dict[str, Any]] = []

    def flush() -> None:
        if pending_hashes:
            conn.execute(sa.insert(hashes), pending_hashes)
        if pending_rows:
            conn.execute(
                sa.text("UPDATE consent_events SET hash = :leaf_hash WHERE seq = :seq"),
                pending_rows,
            )
        pending_hashes.clear()
        pending_rows.clear()

    for row in _rows_in_order(conn):
        seq = row["seq"]
        if seq != tree.size + 1:
            raise ChainDoesNotVerify(f"seq {tree.size + 1} is missing; run `kelisim db verify`")
        leaf, personal = _leaf(row)
        chain_ok = (
            hashlib.sha256(leaf).hexdigest() == row["digest"]
            and personal == row["personal_digest"]
            and row["prev_hash"] == previous
            and hashlib.sha256((previous + row["digest"]).encode()).hexdigest() == row["hash"]
        )
        if not chain_ok:
            raise ChainDoesNotVerify(
                f"seq {seq}: the hash chain does not verify there; the log was changed before "
                "this upgrade. Run `kelisim db verify` with the previous version and restore "
                "from a backup before upgrading"
            )
        previous = row["hash"]
        hashed = leaf_hash(leaf)
        pending_rows.append({"seq": seq, "leaf_hash": hashed.hex()})
        pending_hashes.extend({"id": i, "hash": h} for i, h in tree.append(hashed))
        if len(pending_rows) >= BATCH:
            flush()
    flush()
    if old_head.last_seq != tree.size or old_head.last_hash != previous:
        raise ChainDoesNotVerify("chain_head does not match the last row; run `kelisim db verify`")
    op.bulk_insert(
        head_table,
        [
            {
                "id": 1,
                "tree_size": tree.size,
                "legacy_chain_seq": old_head.last_seq,
                "legacy_chain_hash": old_head.last_hash,
            }
        ],
    )
    op.drop_table("chain_head")
    with op.batch_alter_table("consent_events") as batch:
        batch.drop_column("digest")
        batch.drop_column("prev_hash")


def downgrade() -> None:
    raise NotImplementedError("the Merkle log cannot be turned back into a hash chain")
