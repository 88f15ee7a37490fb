"""Tables for consent statistics, subject-request blocks and uploaded scanner runs.

Kept apart from the consent log's tables (own MetaData) because none of them is evidence in the
Merkle log: the counters are derived from it, a block is a staff decision about it, and a scan is a
report about the website. The schema is created only by the Alembic migration
`0004_statistics_and_requests`; these definitions are what kelisim.services.stats,
kelisim.services.subjects and kelisim.services.scans
query through, and tests/test_stats.py checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
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

# One counter per (dimension, day, value, outcome, site), upserted in the same transaction as the
# event it counts, so the dashboard reads a few hundred rows per day instead of the whole log.
# `dimension` leads the key because every dashboard query filters on it and then on a day range;
# `site` comes last so the daily series (summed over sites) is read in key order without a sort.
# On SQLite the table is WITHOUT ROWID: the key is the table, so `count` is read from the same
# B-tree instead of one row lookup per counter.
consent_stats = Table(
    "consent_stats",
    metadata,
    Column("dimension", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("count", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# The same counters rolled up by Kazakhstan calendar month (`month` = its first day), upserted in
# the same transaction as the daily ones. A long range sums whole months here and only the partial
# months at either end from consent_stats: a year is about 12 + 60 days of rows instead of 365.
consent_stats_monthly = Table(
    "consent_stats_monthly",
    metadata,
    Column("dimension", String(16), primary_key=True),
    Column("month", Date, primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("site", String(64), primary_key=True),
    Column("count", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# A blocked consent reads as "no consent" everywhere (Law 94-V Art. 25(2)(8)); unblocking deletes
# the row, and the audit log keeps the history of both decisions.
subject_blocks = Table(
    "subject_blocks",
    metadata,
    Column("consent_id", String(128), primary_key=True),
    Column("blocked_at", UtcDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("reason", Text, nullable=False),
)

scan_runs = Table(
    "scan_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uploaded_at", UtcDateTime, nullable=False, index=True),
    Column("uploader", String(80), nullable=False),
    Column("schema", String(32), nullable=False),
    Column("started_at", String(40), nullable=True),
    Column("finished_at", String(40), nullable=True),
    Column("target", Text, nullable=True),
    Column("catalogue_revision", Integer, nullable=True),
    Column("catalogue_hash", String(80), nullable=True),
    Column("findings", Integer, nullable=False),
    Column("exit_code", Integer, nullable=True),
    Column("summary", JSON, nullable=False),
    Column("declaration", JSON, nullable=False),
    Column("report", Text, nullable=False),  # the uploaded report.json, byte for byte
)

scan_findings = Table(
    "scan_findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "run_id",
        Integer,
        ForeignKey("scan_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("finding_id", String(64), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("state", String(32), nullable=False),
    Column("page", Text, nullable=True),
    Column("vendor", String(64), nullable=True),
    Column("artefact", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("waived", Text, nullable=True),
    Column("evidence", JSON, nullable=True),
    Index("ix_scan_findings_run_rule", "run_id", "rule"),
)
