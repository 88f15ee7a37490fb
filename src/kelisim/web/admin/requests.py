"""Subject requests: block, unblock and destroy a visitor's consent records (Law 94-V Art. 25).

The page is the privacy officer's one-working-day tool: paste the consent id the visitor gave
(their receipt shows it), write why, press the button. Blocking and unblocking are for editors and
admins; destroying is irreversible and therefore for admins only. Every action goes through
kelisim.services.subjects, which writes the audit entry in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from kelisim.services.subjects import SubjectError, Subjects
from kelisim.web.admin.shell import bp, current_user, flashed_texts, now, requires_role, services, t
from kelisim.web.api.consents import is_consent_id

ACTIONS = {"block": "editor", "unblock": "editor", "destroy": "admin"}


def subjects() -> Subjects:
    """The subject-request service on the app's database, built once per app."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    built = app.extensions.get("kelisim_subjects")
    if built is None:
        store = app.extensions["kelisim"].store
        key = hmac.new(
            str(app.secret_key).encode(), b"kelisim.subject-ref.v1", hashlib.sha256
        ).digest()
        built = Subjects(store.engine, store.write_engine, services(app).audit, key, clock=now)
        app.extensions["kelisim_subjects"] = built
    return built


def _page(error: str | None = None, status: int = 200, consent_id: str = "") -> Any:
    messages = flashed_texts()
    body = render_template(
        "admin/requests.html",
        blocks=subjects().blocks(),
        error=error,
        messages=messages,
        consent_id=consent_id,
        can_destroy=current_user().has_role("admin"),  # type: ignore[union-attr]
    )
    return body, status


@bp.route("/requests", methods=["GET"])
@requires_role("editor")
def requests() -> Any:
    return _page(consent_id=request.args.get("consent_id", "")[:128])


@bp.route("/requests/<action>", methods=["POST"])
@requires_role("editor")
def subject_request(action: str) -> Any:
    role = ACTIONS.get(action)
    if role is None:
        return _page(t("error_404"), 404)
    if not current_user().has_role(role):  # type: ignore[union-attr]
        return _page(t("error_403"), 403)
    consent_id = (request.form.get("consent_id") or "").strip()
    reason = request.form.get("reason")
    if not is_consent_id(consent_id):
        return _page(t("req_error_unknown_consent"), 400, consent_id[:128])
    if action == "destroy" and request.form.get("confirm") != "yes":
        return _page(t("req_error_confirm"), 400, consent_id)
    actor = current_user().username  # type: ignore[union-attr]
    service = subjects()
    try:
        if action == "block":
            service.block(consent_id, reason, actor)
        elif action == "unblock":
            service.unblock(consent_id, reason, actor)
        else:
            events = service.destroy(consent_id, reason, actor)
            flash(("req_destroyed", {"events": events}))
            return redirect(url_for("admin.requests"), 303)
    except SubjectError as error:
        return _page(t(f"req_error_{error.code}"), 400, consent_id)
    flash((f"req_{action}ed", {}))
    return redirect(url_for("admin.consent_log", consent_id=consent_id), 303)
