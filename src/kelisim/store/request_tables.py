"""The subject-request queue: what a visitor asked for on their receipt page, and when it is due.

Kept apart from the consent log's tables (own MetaData) like kelisim.store.stats_tables: a request
is a message to the operator about the log, not evidence in it. The schema is created only by the
Alembic migration `0010_subject_requests`; tests/test_subject_requests.py checks that the two agree.
The visitor's contact and message are personal data: closing a destroy request blanks them with
the consent id (kelisim.services.subject_requests).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from kelisim.store.schema import UtcDateTime

metadata = MetaData()

subject_requests = Table(
    "subject_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # What the visitor quotes when they call: random, short, never derived from the consent id.
    Column("reference", String(16), nullable=False, unique=True),
    Column("consent_id", String(128), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("contact", Text, nullable=True),
    Column("message", Text, nullable=True),
    Column("language", String(8), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("closed_by", String(80), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("note", Text, nullable=True),
    # The queue reads the open requests in due order.
    Index("ix_subject_requests_open_due", "closed_at", "due_at"),
)
