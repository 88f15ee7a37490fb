"""The admin audit log becomes a Merkle tree with signed checkpoints, like the consent log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Every existing entry becomes a leaf, in id order, so the history staff already wrote is covered by
the first checkpoint the server signs after the upgrade. The leaf format is kelisim-audit/1
(kelisim.store.audit_tree.leaf_of), fixed for good like the consent log's.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op
from kelisim.store import merkle
from kelisim.store.audit_tree import leaf_hash_of

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("leaf_hash", sa.String(64), nullable=True))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("peaks", sa.Text(), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("verifier_key", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", TIME, nullable=False),
        sa.UniqueConstraint("tree_size", "verifier_key", name="uq_audit_checkpoints_size_key"),
    )
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", TIME),
        sa.column("actor", sa.String()),
        sa.column("action", sa.String()),
        sa.column("target", sa.String()),
        sa.column("before", sa.JSON()),
        sa.column("after", sa.JSON()),
        sa.column("leaf_hash", sa.String()),
    )
    conn = op.get_bind()
    tree = merkle.CompactTree()
    rows = conn.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    for row in rows:
        leaf = leaf_hash_of(row)
        tree.append(leaf)
        conn.execute(sa.update(audit).where(audit.c.id == row["id"]).values(leaf_hash=leaf.hex()))
    peaks = json.dumps([peak.hex() for peak in tree.peaks])
    op.bulk_insert(head, [{"id": 1, "tree_size": tree.size, "peaks": peaks}])


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("leaf_hash")
