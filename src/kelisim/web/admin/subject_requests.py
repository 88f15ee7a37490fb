"""/admin/subject-requests: the queue of requests visitors filed on their receipt page.

The privacy officer's morning list: open requests, the one due first on top, overdue ones marked,
each closed with the action the visitor asked for. Roles as on the requests page
(kelisim.web.admin.requests): editors block, send copies and decline; destroying is admins' only.
Every action runs through kelisim.services.subject_requests → kelisim.services.subjects, so the
block, destruction or copy has the same audit entry as one made by consent id.

A copy of the record is the visitor's receipt page (the record, its history and the signed proof):
when the visitor left an e-mail address and SMTP is configured, "send copy" mails them its link;
otherwise staff hand it over another way and write how in the note.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kelisim.domain.workdays import ALMATY
from kelisim.services.notify import NotifySettings, send_email
from kelisim.services.subject_requests import (
    ACTIONS,
    RequestError,
    SubjectRequest,
    SubjectRequests,
)
from kelisim.web.admin.requests import subjects
from kelisim.web.admin.shell import bp, current_user, flashed_texts, now, requires_role, services, t
from kelisim.web.admin.texts import text
from kelisim.web.api.consents import receipt_url

ROLES = {"block": "editor", "copy": "editor", "decline": "editor", "destroy": "admin"}
NOTIFY_CONFIG = "KELISIM_NOTIFY_SETTINGS"
"""Config key for the NotifySettings copies are mailed with (tests point it at a local sink)."""
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def subject_requests() -> SubjectRequests:
    """The queue on the app's database, with the app's working-day calendar, built once per app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    built = app.extensions.get("kelisim_subject_requests")
    if built is None:
        kelisim = app.extensions["kelisim"]
        built = SubjectRequests(
            kelisim.store.engine,
            kelisim.store.write_engine,
            services(app).audit,
            subjects(),
            kelisim.calendar,
            clock=now,
        )
        app.extensions["kelisim_subject_requests"] = built
    return built


def almaty_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M")


def _notify_settings() -> NotifySettings:
    return current_app.config.get(NOTIFY_CONFIG) or NotifySettings.from_env()


def _page(error: str | None = None, status: int = 200) -> Any:
    queue = subject_requests()
    moment = now()
    messages = flashed_texts()
    body = render_template(
        "admin/subject_requests.html",
        open_requests=queue.open_requests(),
        closed_requests=queue.recently_closed(),
        now=moment,
        almaty_time=almaty_time,
        error=error,
        messages=messages,
        can_destroy=current_user().has_role("admin"),  # type: ignore[union-attr]
        can_mail=_can_mail,
    )
    return body, status


@bp.route("/subject-requests", methods=["GET"])
@requires_role("editor")
def subject_request_queue() -> Any:
    return _page()


def _can_mail(item: SubjectRequest) -> bool:
    return bool(item.contact and _EMAIL.fullmatch(item.contact) and _notify_settings().smtp_host)


def _mail_copy(item: SubjectRequest) -> str | None:
    """E-mail the visitor the link to their receipt; None when sent, else why not."""
    link = receipt_url(item.consent_id)
    if link.startswith("/"):
        link = request.host_url.rstrip("/") + link
    language = item.language if item.language in ("ru", "kk", "en") else "ru"
    body = text(
        "sreq_copy_mail_body", language, reference=item.reference, link=f"{link}?lang={language}"
    )
    subject = text("sreq_copy_mail_subject", language, reference=item.reference)
    return send_email(_notify_settings(), str(item.contact), subject, body)


@bp.route("/subject-requests/<reference>/<action>", methods=["POST"])
@requires_role("editor")
def close_subject_request(reference: str, action: str) -> Any:
    role = ROLES.get(action)
    if role is None or action not in ACTIONS:
        return _page(t("error_404"), 404)
    if not current_user().has_role(role):  # type: ignore[union-attr]
        return _page(t("error_403"), 403)
    reference = reference[:16]
    note = request.form.get("note")
    if action == "destroy" and request.form.get("confirm") != "yes":
        return _page(t("req_error_confirm"), 400)
    queue = subject_requests()
    item = queue.get(reference)
    if item is None:
        return _page(t("sreq_error_unknown_request"), 404)
    if action == "copy" and item.is_open:
        if _can_mail(item):
            failure = _mail_copy(item)
            if failure is not None:
                return _page(t("sreq_error_mail", reason=failure), 502)
            note = note if (note or "").strip() else t("sreq_copy_mailed_note")
        elif not (note or "").strip():
            return _page(t("sreq_error_copy_note"), 400)
    actor = current_user().username  # type: ignore[union-attr]
    try:
        queue.close(reference, action, note, actor)
    except RequestError as error:
        return _page(t(f"sreq_error_{error.code}"), 400)
    flash((f"sreq_closed_{ACTIONS[action]}", {"reference": reference}))
    return redirect(url_for("admin.subject_request_queue"), 303)
