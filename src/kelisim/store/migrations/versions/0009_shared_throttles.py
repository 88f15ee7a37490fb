"""Rate limits and the staff login throttle in the database, shared by every host; who granted
each staff account its role; the staff second factor (TOTP and recovery codes).

Revision ID: 0009
Revises: 0004
Create Date: 2026-12-02

Written out column by column rather than from kelisim.store.throttle_tables, so this revision means
the same thing forever. On PostgreSQL the tables are UNLOGGED: they are counters, not evidence,
and a WAL record per consent request would double the cost of the log they protect.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tat", sa.Float(), nullable=False),
    )
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=True),
        sa.Column("last_lock_at", sa.Float(), nullable=True),
        sa.Column("last_attempt_at", sa.Float(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_granted", sa.Integer(), nullable=False),
    )
    # Who gave an account its current role: an approval is independent only when the approver's
    # admin role does not trace back to the requester (kelisim.services.accounts.independent_of).
    with op.batch_alter_table("admin_users") as batch:
        batch.add_column(sa.Column("role_granted_by", sa.String(80), nullable=True))
    # The staff second factor: TOTP secrets and one-time recovery codes (hashed).
    op.create_table(
        "admin_totp",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("admin_users.id", ondelete="CASCADE", name="fk_admin_totp_user"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
    )
    op.create_table(
        "admin_recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("admin_users.id", ondelete="CASCADE", name="fk_admin_recovery_user"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_admin_recovery_codes_user_id", "admin_recovery_codes", ["user_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limits SET UNLOGGED")
        op.execute("ALTER TABLE login_throttle SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("admin_recovery_codes")
    op.drop_table("admin_totp")
    with op.batch_alter_table("admin_users") as batch:
        batch.drop_column("role_granted_by")
    op.drop_table("login_throttle")
    op.drop_table("rate_limits")
