"""Logging staff in and out.

The privacy policy (§5.3) promises that secrets are masked, that the browser keeps no credentials
and that error messages reveal nothing confidential. Hence: a masked password field the browser is
asked not to remember, no web storage and no script at all on the page, one message for every
kind of failure (unknown user, wrong password, disabled account), and a fresh session on login so a
session id planted before login is worthless after it.
"""

from __future__ import annotations

import math
from typing import Any

from flask import g, redirect, render_template, request, session, url_for

from kelisim.web.admin import mfa
from kelisim.web.admin.forms import ActionForm, LoginForm
from kelisim.web.admin.shell import begin_session, bp, current_user, is_safe_next, services, t

NOTICES = frozenset({"session_ended", "login_required", "logged_out"})


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user() is not None:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    notice = request.args.get("notice")
    if g.get("admin_session_ended"):
        notice = "session_ended"
    next_url = request.args.get("next")
    error: str | None = None
    retry_after: int | None = None
    if request.method == "POST":
        if not form.validate():
            error = t("login_failed")
        else:
            result = services().accounts.authenticate(
                form.username.data or "", form.password.data or "", request.remote_addr
            )
            if result.user is not None:
                # A second factor, when enrolled or required, comes between password and session.
                step = mfa.second_factor_step(
                    result.user, next_url if is_safe_next(next_url) else None
                )
                if step is not None:
                    return step
                begin_session(result.user)
                return redirect(next_url if is_safe_next(next_url) else url_for("admin.dashboard"))
            retry_after = result.retry_after
            if retry_after is not None:
                error = t("login_throttled", minutes=max(1, math.ceil(retry_after / 60)))
            else:
                error = t("login_failed")
    # The password is never sent back into the form.
    form.password.data = None
    response = render_template(
        "admin/login.html",
        form=form,
        error=error,
        notice=t(notice) if notice in NOTICES and error is None else None,
        next_url=next_url if is_safe_next(next_url) else None,
    )
    if retry_after is not None:
        return response, 429, {"Retry-After": str(retry_after)}
    return response


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    form = ActionForm()
    user = current_user()
    if form.validate_on_submit() and user is not None:
        svc = services()
        svc.accounts.end_session(session.get("sid"))
        svc.audit.append(user.username, "logout", user.username)
    keep_language = session.get("lang")
    session.clear()
    if keep_language:
        session["lang"] = keep_language
    return redirect(url_for("admin.login", notice="logged_out"))
