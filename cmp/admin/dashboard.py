"""The Dashboard, and the sections that later releases fill in.

The dashboard shows what is already known without the later work: who is signed in, the catalogue
that is live, and (for admins) the latest staff actions. Vendors, revisions, the consent log,
subject requests and scans are their own pieces of work; until they land their pages say so rather
than leave a dead link in the navigation.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from cmp.admin.shell import bp, current_user, services

COMING_SECTIONS = {
    "vendors": "nav_vendors",
    "revisions": "nav_revisions",
    "consent-log": "nav_consent_log",
    "requests": "nav_requests",
    "scans": "nav_scans",
}


@bp.route("/", methods=["GET"])
def dashboard() -> Any:
    user = current_user()
    recent = services().audit.list(limit=8) if user is not None and user.has_role("admin") else []
    return render_template("admin/dashboard.html", catalogue=_catalogue_summary(), recent=recent)


def _catalogue_summary() -> dict[str, int] | None:
    catalogue = getattr(current_app.extensions.get("kelisim"), "catalogue", None)
    if catalogue is None:
        return None
    return {
        "revision": catalogue.revision,
        "vendors": len(catalogue.vendors),
        "purposes": len(catalogue.purposes),
    }


def _coming_soon(title_key: str):
    def view() -> Any:
        return render_template("admin/coming_soon.html", title_key=title_key)

    return view


for _path, _title in COMING_SECTIONS.items():
    bp.add_url_rule(
        f"/{_path}",
        endpoint=_path.replace("-", "_"),
        view_func=_coming_soon(_title),
        methods=["GET"],
    )
