"""Tables behind the live catalogue: published revisions, the one working draft, and approvals.

The catalogue used to be a file read at start; now staff edit it in the admin UI, so the database
holds what is live. Each published revision keeps the whole catalogue document (the structure of
vendors.yaml, as canonical JSON text), so any revision can be exported, compared or served again
without reconstructing it from a chain of edits. The schema itself is created only by the Alembic
migration `0003_catalogue_revisions`; a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, MetaData, String, Table, Text

from kelisim.store.schema import UtcDateTime

metadata = MetaData()

APPROVAL_STATUSES = ("pending", "approved", "rejected", "superseded")

catalogue_revisions = Table(
    "catalogue_revisions",
    metadata,
    # The catalogue's own `revision` number: the primary key makes two concurrent publishes of the
    # same number impossible, so revisions form a line.
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("content_hash", String(80), nullable=False),
    Column("document", Text, nullable=False),  # canonical JSON of the vendors.yaml document
    Column("parked", Text, nullable=False),  # canonical JSON list of disabled vendors
    Column("published_by", String(80), nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("approved_by", String(80), nullable=True),
)

catalogue_draft = Table(
    "catalogue_draft",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document", Text, nullable=False),
    Column("parked", Text, nullable=False),
    Column("base_revision", Integer, nullable=False),
    Column("updated_by", String(80), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("id = 1", name="ck_catalogue_draft_single_row"),
)

catalogue_approvals = Table(
    "catalogue_approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("base_revision", Integer, nullable=False),
    Column("content_hash", String(80), nullable=False),
    Column("document", Text, nullable=False),
    Column("parked", Text, nullable=False),
    Column("added_hosts", Text, nullable=False),  # JSON {vendor id: [script hosts added]}
    Column("status", String(16), nullable=False),
    Column("requested_by", String(80), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_by", String(80), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Index("ix_catalogue_approvals_status", "status"),
)
