"""Subject requests a visitor files on their receipt page, with the one-working-day deadline.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Written out column by column rather than from kelisim.store.request_tables, so this revision means
the same thing forever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("consent_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("due_at", TIME, nullable=False),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("closed_by", sa.String(80), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("reference", name="uq_subject_requests_reference"),
    )
    op.create_index("ix_subject_requests_consent_id", "subject_requests", ["consent_id"])
    op.create_index("ix_subject_requests_open_due", "subject_requests", ["closed_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_subject_requests_open_due", table_name="subject_requests")
    op.drop_index("ix_subject_requests_consent_id", table_name="subject_requests")
    op.drop_table("subject_requests")
