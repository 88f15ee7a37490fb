"""The marketers' admin UI at /admin: register `bp` on the app.

Importing the view modules attaches their routes to the blueprint defined in `shell`.
"""

from __future__ import annotations

from kelisim.web.admin import (
    appearance,
    audit_log,
    auth,
    dashboard,
    log,
    mfa,
    requests,
    revisions,
    scans,
    schedules,
    subject_requests,
    users,
    vendors,
)
from kelisim.web.admin.shell import bp, requires_role

__all__ = [
    "appearance",
    "audit_log",
    "auth",
    "bp",
    "dashboard",
    "log",
    "mfa",
    "requests",
    "requires_role",
    "revisions",
    "scans",
    "schedules",
    "subject_requests",
    "users",
    "vendors",
]
