"""The Dashboard: consent rates at a glance, and the sections that later releases fill in.

Every figure comes from kelisim.services.stats' counters (two aggregate queries per page view,
whatever the size of the log), never from the consent log itself. The charts are inline SVG drawn on
the server (kelisim.web.admin.charts) with their numbers beside them, so the page needs no script
and reads the same to a screen reader. Until the vendors and revisions sections land, their pages
say so rather than leave a dead link in the navigation.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app, render_template, request

from kelisim.services.stats import ANSWERS, BREAKDOWNS, ConsentStats, answered, share, stats_day
from kelisim.web.admin import charts
from kelisim.web.admin.shell import bp, current_user, language, now, services

COMING_SECTIONS: dict[str, str] = {}
DEFAULT_DAYS = 30
MAX_SPARK_DAYS = 400


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def dashboard_range() -> tuple[date, date]:
    """The range asked for in ?from=&to= (Kazakhstan days), else the last 30 days."""
    today = stats_day(now())
    end = _date_arg("to") or today
    start = _date_arg("from") or end - timedelta(days=DEFAULT_DAYS - 1)
    return start, end


@bp.route("/", methods=["GET"])
def dashboard() -> Any:
    user = current_user()
    recent = services().audit.list(limit=8) if user is not None and user.has_role("admin") else []
    catalogue = getattr(current_app.extensions.get("kelisim"), "catalogue", None)
    sites = list(catalogue.sites) if catalogue is not None else []
    site = request.args.get("site") or None
    if site not in sites:
        site = None
    start, end = dashboard_range()
    report = ConsentStats(current_app.extensions["kelisim"].store.engine).report(start, end, site)
    days = report.days
    vendor_names = {v.id: v.name for v in catalogue.vendors} if catalogue else {}
    required = {p.id for p in catalogue.purposes if p.required} if catalogue else set()
    purpose_names = {p.id: p.name for p in catalogue.purposes} if catalogue else {}

    vendors = sorted(
        (
            {
                "id": vendor_id,
                "name": vendor_names.get(vendor_id, vendor_id),
                "granted": counts.get("granted", 0),
                "total": sum(counts.values()),
                "rate": share(counts.get("granted", 0), sum(counts.values())),
                "spark": charts.sparkline(days, report.vendor_daily.get(vendor_id, {}))
                if len(days) <= MAX_SPARK_DAYS
                else "",
            }
            for vendor_id, counts in report.vendors.items()
        ),
        key=lambda row: (-row["rate"], row["name"]),
    )
    purpose_ids = [p for p in report.purposes if p not in required]
    purposes = [
        {
            "id": purpose_id,
            "name": purpose_names[purpose_id].get(language())
            if purpose_id in purpose_names
            else purpose_id,
            "segments": charts.shares(
                report.purposes[purpose_id], ("granted", "partial", "denied")
            ),
            "total": sum(report.purposes[purpose_id].values()),
        }
        for purpose_id in purpose_ids
    ]
    breakdowns = {
        name: sorted(
            (
                {
                    "value": value,
                    "answers": answered(counts),
                    "segments": charts.shares(counts, ANSWERS),
                    "accept": share(counts.get("accept_all", 0), answered(counts)),
                }
                for value, counts in report.breakdown.get(name, {}).items()
                if answered(counts)
            ),
            key=lambda row: (-row["answers"], row["value"]),
        )
        for name in BREAKDOWNS
    }
    return render_template(
        "admin/dashboard.html",
        catalogue=_catalogue_summary(),
        recent=recent,
        report=report,
        sites=sites,
        site=site,
        answers=ANSWERS,
        overall=charts.shares(report.actions, ANSWERS),
        daily=charts.daily_stacked(days, report.daily, ANSWERS),
        purpose_lines=charts.rate_lines(
            days,
            {purpose_id: report.purpose_daily.get(purpose_id, {}) for purpose_id in purpose_ids},
        ),
        purposes=purposes,
        vendors=vendors,
        breakdowns=breakdowns,
        pct=_pct,
        presets=[
            (label, end - timedelta(days=n - 1), end) for label, n in ((7, 7), (30, 30), (90, 90))
        ],
    )


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


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
