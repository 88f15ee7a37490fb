"""The Audit log page: every staff action, newest first, for admins.

It reads kelisim.services.audit and never writes; there is no route that edits or deletes an entry.
"""

from __future__ import annotations

import json
from typing import Any

from flask import render_template, request

from kelisim.domain.bounds import parse_db_int
from kelisim.web.admin.shell import bp, requires_role, services

PAGE_SIZE = 50


@bp.route("/audit", methods=["GET"])
@requires_role("admin")
def audit() -> Any:
    # A page id out of range is the first page, not a database overflow.
    before = parse_db_int(request.args.get("before"))
    entries = services().audit.list(limit=PAGE_SIZE + 1, before_id=before)
    older = entries[PAGE_SIZE].id + 1 if len(entries) > PAGE_SIZE else None
    return render_template(
        "admin/audit.html",
        entries=entries[:PAGE_SIZE],
        older=older,
        paged=before is not None,
        describe=describe_change,
    )


def describe_change(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(field, old, new) for each changed field, so a reader sees the difference at a glance."""
    before = before or {}
    after = after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            rows.append((key, _show(old), _show(new)))
    return rows


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
