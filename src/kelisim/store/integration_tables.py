"""Tables for native-app devices, web/app customer links, region decisions and scheduled scans.

Kept apart from the consent log's tables (own MetaData) like kelisim.store.stats_tables: none of
them is a consent event. A device or customer row holds only a keyed hash (HMAC under the server's
IP pepper), never the identifier the app or the lender sent. The schema is created only by the
Alembic migration `0008_integrations`; tests/test_app_consent.py checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from kelisim.store.schema import UtcDateTime

metadata = MetaData()

# One row per consent recorded by a native app: which installation (keyed hash of its device id).
app_devices = Table(
    "app_devices",
    metadata,
    Column("consent_id", String(128), primary_key=True),
    Column("device_hmac", String(64), nullable=False, index=True),
    Column("registered_at", UtcDateTime, nullable=False),
)

# One row per consent linked to a logged-in customer (keyed hash of the lender's customer id): all
# consents of one customer_hmac hear each other's withdrawals.
customer_links = Table(
    "customer_links",
    metadata,
    Column("consent_id", String(128), primary_key=True),
    Column("customer_hmac", String(64), nullable=False, index=True),
    Column("linked_at", UtcDateTime, nullable=False),
)

# Which region rule of the catalogue decided an event (by event_id), and the region it matched.
region_decisions = Table(
    "region_decisions",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

scan_schedules = Table(
    "scan_schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", Text, nullable=False),
    Column("interval_hours", Integer, nullable=False),
    Column("email", Text, nullable=True),
    Column("webhook_url", Text, nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("next_run_at", UtcDateTime, nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

scan_schedule_runs = Table(
    "scan_schedule_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "schedule_id",
        Integer,
        ForeignKey("scan_schedules.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("scan_run_id", Integer, nullable=True),
    Column("findings", Integer, nullable=True),
    Column("new_findings", Integer, nullable=True),
    Column("notified", Text, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_scan_schedule_runs_schedule", "schedule_id", "started_at"),
)
