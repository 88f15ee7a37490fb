"""Native-app devices, web/app customer links, region decisions and scheduled scans.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02

Written out column by column rather than from kelisim.store.integration_tables, so this revision
means the same thing forever even when the Python table definitions move on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_devices",
        sa.Column("consent_id", sa.String(128), primary_key=True),
        sa.Column("device_hmac", sa.String(64), nullable=False),
        sa.Column("registered_at", TIME, nullable=False),
    )
    op.create_index("ix_app_devices_device_hmac", "app_devices", ["device_hmac"])
    op.create_table(
        "customer_links",
        sa.Column("consent_id", sa.String(128), primary_key=True),
        sa.Column("customer_hmac", sa.String(64), nullable=False),
        sa.Column("linked_at", TIME, nullable=False),
    )
    op.create_index("ix_customer_links_customer_hmac", "customer_links", ["customer_hmac"])
    op.create_table(
        "region_decisions",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
    )
    op.create_table(
        "scan_schedules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "scan_schedule_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("scan_schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("scan_run_id", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=True),
        sa.Column("new_findings", sa.Integer(), nullable=True),
        sa.Column("notified", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_scan_schedule_runs_schedule", "scan_schedule_runs", ["schedule_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_scan_schedule_runs_schedule", table_name="scan_schedule_runs")
    op.drop_table("scan_schedule_runs")
    op.drop_table("scan_schedules")
    op.drop_table("region_decisions")
    op.drop_index("ix_customer_links_customer_hmac", table_name="customer_links")
    op.drop_table("customer_links")
    op.drop_index("ix_app_devices_device_hmac", table_name="app_devices")
    op.drop_table("app_devices")
