"""Consent statistics aggregated as events arrive, subject-request blocks, and uploaded scans.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Written out column by column rather than from kelisim.store.stats_tables, so this revision means the
same thing forever even when the Python table definitions move on. Counters start empty: events
recorded before this revision are not counted (there were none in production when it was written).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Daily and monthly (Kazakhstan days/months) counters, kept together by every append. WITHOUT
    # ROWID on SQLite (ignored elsewhere): the key is the table, so a range scan reads `count`
    # from the key's own B-tree rather than looking each row up by rowid.
    for name, period in (("consent_stats", "day"), ("consent_stats_monthly", "month")):
        op.create_table(
            name,
            sa.Column("dimension", sa.String(16), nullable=False),
            sa.Column(period, sa.Date(), nullable=False),
            sa.Column("value", sa.String(64), nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("site", sa.String(64), nullable=False),
            sa.Column("count", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint(
                "dimension", period, "value", "outcome", "site", name=f"pk_{name}"
            ),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "subject_blocks",
        sa.Column("consent_id", sa.String(128), primary_key=True),
        sa.Column("blocked_at", TIME, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uploaded_at", TIME, nullable=False),
        sa.Column("uploader", sa.String(80), nullable=False),
        sa.Column("schema", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=True),
        sa.Column("finished_at", sa.String(40), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("catalogue_revision", sa.Integer(), nullable=True),
        sa.Column("catalogue_hash", sa.String(80), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("declaration", sa.JSON(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
    )
    op.create_index("ix_scan_runs_uploaded_at", "scan_runs", ["uploaded_at"])
    op.create_table(
        "scan_findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("scan_runs.id", ondelete="CASCADE", name="fk_scan_findings_run"),
            nullable=False,
        ),
        sa.Column("finding_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("page", sa.Text(), nullable=True),
        sa.Column("vendor", sa.String(64), nullable=True),
        sa.Column("artefact", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("waived", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
    )
    op.create_index("ix_scan_findings_run_rule", "scan_findings", ["run_id", "rule"])
    # Consent-log exports select a date range; without this they would read the whole log.
    op.create_index("ix_consent_events_recorded_at", "consent_events", ["recorded_at"])


def downgrade() -> None:
    op.drop_index("ix_consent_events_recorded_at", "consent_events")
    op.drop_table("scan_findings")
    op.drop_table("scan_runs")
    op.drop_table("subject_blocks")
    op.drop_table("consent_stats_monthly")
    op.drop_table("consent_stats")
