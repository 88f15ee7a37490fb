"""The Consent log: find a consent by id, read its history and the exact texts it was shown, and
export a date range as CSV or as ISO/IEC TS 27560-style JSON (evidence on demand, Law 94-V
Art. 25(2)(5)): every stored event, with the notice it was given under.

Consent ids and pages are pseudonymous personal data, so the section is for editors and admins,
and every export is written to the audit log. Exports stream: rows are read in batches from a
server-side cursor and sent as they are formatted, so a year of events never sits in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from kelisim.services.evidence import CSV_FIELDS, csv_row, day_bounds, events_between, record_27560
from kelisim.web.admin.dashboard import dashboard_range
from kelisim.web.admin.requests import subjects
from kelisim.web.admin.shell import bp, current_user, flashed_texts, requires_role, services, t
from kelisim.web.api.consents import is_consent_id

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _store() -> Any:
    return current_app.extensions["kelisim"].store


def _shown(cache: dict[str, dict], catalogue_hash: str) -> dict:
    """The snapshot for a catalogue hash, fetched once per export or page."""
    if catalogue_hash not in cache:
        live = current_app.extensions["kelisim"].catalogue
        cache[catalogue_hash] = _store().snapshot(catalogue_hash) or (
            live.to_dict() if live.content_hash == catalogue_hash else {}
        )
    return cache[catalogue_hash]


def _texts_view(shown: dict, language: str) -> dict[str, Any]:
    """What the banner said in the event's language: its texts, purposes and vendors."""
    default = str(shown.get("default_language") or language)

    def local(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get(language) or value.get(default) or "")
        return "" if value is None else str(value)

    texts = shown.get("texts") or {}
    return {
        "texts": texts.get(language) or texts.get(default) or {},
        "purposes": [
            {
                "id": p.get("id"),
                "name": local(p.get("name")),
                "description": local(p.get("description")),
            }
            for p in shown.get("purposes") or ()
        ],
        "vendors": [
            {
                "id": v.get("id"),
                "name": v.get("name"),
                "company": v.get("company"),
                "country": v.get("country"),
                "data_leaves_kz": v.get("data_leaves_kz"),
                "description": local(v.get("description")),
            }
            for v in shown.get("vendors") or ()
        ],
        "revision": shown.get("revision"),
    }


@bp.route("/consent-log", methods=["GET"])
@requires_role("editor")
def consent_log() -> Any:
    return _consent_log_page((request.args.get("consent_id") or "").strip())


def _consent_log_page(consent_id: str, export_error: str | None = None) -> Any:
    """The page, with an export problem shown above the form (400) instead of a bare error."""
    messages = flashed_texts()
    start, end = dashboard_range()
    context: dict[str, Any] = {
        "consent_id": consent_id,
        "events": [],
        "messages": messages,
        "start": start,
        "end": end,
        "error": export_error,
    }
    status = 400 if export_error else 200
    if consent_id:
        events = _store().history(consent_id) if is_consent_id(consent_id) else []
        if not events:
            context["error"] = t("log_not_found")
            status = 404
        else:
            cache: dict[str, dict] = {}
            shown = {}
            for event in events:
                key = (event.catalogue_hash, event.language)
                if key not in shown:
                    shown[key] = _texts_view(_shown(cache, event.catalogue_hash), event.language)
            context.update(
                events=events,
                latest=events[-1],
                shown=shown,
                block=subjects().block_of(consent_id),
                receipt=url_for("receipt.show", consent_id=consent_id),
            )
    return render_template("admin/consent_log.html", **context), status


@bp.route("/consent-log/export.<fmt>", methods=["GET"])
@requires_role("editor")
def consent_log_export(fmt: str) -> Any:
    if fmt not in FORMATS:
        abort(404)
    try:
        start = date.fromisoformat(request.args.get("from", ""))
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        return _consent_log_page("", export_error=t("log_export_needs_dates"))
    if end < start:
        start, end = end, start
    since, until = day_bounds(start, end)
    actor = current_user().username  # type: ignore[union-attr]
    services().audit.append(
        actor,
        "consent_log.export",
        None,
        after={"format": fmt, "from": start.isoformat(), "to": end.isoformat()},
    )
    engine = _store().engine
    retention = current_app.extensions["kelisim"].settings.retention_days
    body = _csv(engine, since, until) if fmt == "csv" else _json(engine, since, until, retention)
    name = f"kelisim-consents-{start.isoformat()}-{end.isoformat()}.{fmt}"
    response = Response(stream_with_context(body), mimetype=FORMATS[fmt].split(";")[0])
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(engine: Any, since: Any, until: Any) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for index, event in enumerate(events_between(engine, since, until)):
        writer.writerow(csv_row(event))
        if index % 500 == 499:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _json(engine: Any, since: Any, until: Any, retention_days: int) -> Iterator[str]:
    cache: dict[str, dict] = {}

    def receipt(consent_id: str) -> str:
        return url_for("receipt.show", consent_id=consent_id, _external=True)

    head = {
        "schema": "kelisim-27560-export/1",
        "from": since.isoformat().replace("+00:00", "Z"),
        "until": until.isoformat().replace("+00:00", "Z"),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [\n'
    first = True
    for event in events_between(engine, since, until):
        record = record_27560(
            event,
            _shown(cache, event.catalogue_hash),
            retention_days=retention_days,
            receipt_url=receipt,
        )
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False, sort_keys=True)
        first = False
    yield "\n]}\n"
