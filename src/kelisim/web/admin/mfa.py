"""The second factor in the admin UI: the code step of a login, enrolment, and resets.

After a correct password the account's session does not start yet: the browser's (signed,
HttpOnly) admin cookie only holds "user N passed the password at T" for five minutes, and the
next page asks for a code from the authenticator, or a recovery code — or, for a role that
requires a second factor and an account without one, enrols it first. Code attempts go through
the same login throttle as passwords, so six digits cannot be guessed at speed. The QR code is an
inline SVG rendered here: no script, nothing the CSP has to allow.
"""

from __future__ import annotations

import math
import time
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from markupsafe import Markup

from kelisim.services.accounts import User
from kelisim.web.admin.forms import ActionForm, CodeForm
from kelisim.web.admin.shell import (
    begin_session,
    bp,
    current_user,
    is_safe_next,
    requires_role,
    services,
    t,
)

PENDING_SECONDS = 5 * 60
_PENDING = "mfa_pending"


def _required(user: User) -> bool:
    roles = current_app.extensions["kelisim"].settings.mfa_required_roles
    return user.role in roles


def second_factor_step(user: User, next_url: str | None) -> Any:
    """The redirect to the code or enrolment step, or None when this account needs neither."""
    mfa = services().mfa
    enrolled = mfa.enrolled(user.id)
    if not enrolled and not _required(user):
        return None
    keep_language = session.get("lang")
    session.clear()
    if keep_language:
        session["lang"] = keep_language
    session[_PENDING] = {"uid": user.id, "at": time.time(), "next": next_url}
    return redirect(url_for("admin.login_code" if enrolled else "admin.mfa_enrol"))


def _pending_user() -> User | None:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = next((u for u in services().accounts.users() if u.id == pending.get("uid")), None)
    return None if user is None or user.disabled else user


def _start(user: User) -> str:
    """Begin the real session after both factors; the URL to continue to."""

    target = (session.get(_PENDING) or {}).get("next")
    session.pop(_PENDING, None)
    begin_session(user)
    return target if is_safe_next(target) else url_for("admin.dashboard")


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    user = _pending_user()
    if user is None:
        return redirect(url_for("admin.login", notice="session_ended"))
    form = CodeForm()
    error = None
    status = 200
    headers: dict[str, str] = {}
    if form.is_submitted():
        accounts = services().accounts
        attempt = accounts.code_attempt(user.username)
        if not attempt.granted:
            minutes = max(1, math.ceil((attempt.retry_after or 60) / 60))
            error, status = t("login_throttled", minutes=minutes), 429
            headers["Retry-After"] = str(attempt.retry_after)
        elif form.validate() and services().mfa.verify(user.id, user.username, form.code.data):
            return redirect(_start(user))
        else:
            accounts.code_failed(user.username)
            error = t("mfa_wrong_code")
    form.code.data = None
    body = render_template("admin/mfa_code.html", form=form, error=error)
    return body, status, headers


@bp.route("/mfa/enrol", methods=["GET", "POST"])
def mfa_enrol() -> Any:
    user = current_user() or _pending_user()
    if user is None:
        return redirect(url_for("admin.login", notice="login_required"))
    mfa = services().mfa
    if mfa.enrolled(user.id):
        return redirect(url_for("admin.dashboard"))
    form = CodeForm()
    error = None
    if form.is_submitted():
        codes = (
            mfa.confirm(user.id, user.username, form.code.data or "") if form.validate() else None
        )
        if codes is not None:
            target = url_for("admin.dashboard") if current_user() else _start(user)
            # Shown once: only their hashes are kept.
            return render_template("admin/mfa_recovery.html", codes=codes, next_url=target)
        error = t("mfa_wrong_code")
    enrolment = mfa.begin(user.id, user.username)
    form.code.data = None
    return render_template(
        "admin/mfa_enrol.html",
        form=form,
        error=error,
        secret=enrolment.secret,
        qr=Markup(enrolment.qr_svg()),  # SVG from segno: no markup of anyone else in it
        required=_required(user),
    )


@bp.route("/users/<username>/reset-2fa", methods=["POST"])
@requires_role("admin")
def reset_second_factor(username: str) -> Any:
    target = services().accounts.find(username)
    if target is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    services().mfa.reset(target.id, target.username, actor=current_user().username)  # type: ignore[union-attr]
    flash(("mfa_reset_done", {"name": target.username}))
    return redirect(url_for("admin.users"))
