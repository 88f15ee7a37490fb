"""Live catalogue revisions: drafts, published revisions and second-admin approvals.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Written out column by column rather than from kelisim.store.revision_tables, so this revision means
the same thing forever even when the Python table definitions move on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalogue_revisions",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("parked", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(80), nullable=False),
        sa.Column("published_at", TIME, nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=True),
    )
    op.create_table(
        "catalogue_draft",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("parked", sa.Text(), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_catalogue_draft_single_row"),
    )
    op.create_table(
        "catalogue_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(80), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("parked", sa.Text(), nullable=False),
        sa.Column("added_hosts", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("requested_at", TIME, nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", TIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'superseded')",
            name="ck_catalogue_approvals_status",
        ),
    )
    op.create_index("ix_catalogue_approvals_status", "catalogue_approvals", ["status"])


def downgrade() -> None:
    op.drop_table("catalogue_approvals")
    op.drop_table("catalogue_draft")
    op.drop_table("catalogue_revisions")
