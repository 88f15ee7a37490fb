"""The Users page: admins add staff, change their role, disable, re-enable and unlock them.

There is no delete: a disabled account keeps its name attached to what it did in the audit log.
Every change goes through kelisim.services.accounts, which enforces the rules (no last-admin
lock-out, sessions ended on disable) and writes the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for

from kelisim.services.accounts import ROLES, AccountError
from kelisim.web.admin.forms import ActionForm, AddUserForm, RoleForm
from kelisim.web.admin.shell import bp, current_user, flashed_texts, now, requires_role, services, t


def _page(add_form: AddUserForm, error: str | None = None, status: int = 200) -> Any:
    accounts = services().accounts
    users = accounts.users()
    moment = now().timestamp()
    locked = {
        user.id
        for user in users
        if (state := accounts.lockout(user.username)) is not None
        and state.locked_until is not None
        and state.locked_until > moment
    }
    role_forms = {}
    for user in users:
        form = RoleForm(prefix=f"role-{user.id}")
        form.role.data = user.role
        role_forms[user.id] = form
    messages = flashed_texts()
    body = render_template(
        "admin/users.html",
        users=users,
        locked=locked,
        enrolled={user.id for user in users if services().mfa.enrolled(user.id)},
        add_form=add_form,
        role_forms=role_forms,
        action_form=ActionForm(),
        roles=ROLES,
        error=error,
        messages=messages,
    )
    return body, status


@bp.route("/users", methods=["GET"])
@requires_role("admin")
def users() -> Any:
    return _page(AddUserForm())


@bp.route("/users", methods=["POST"])
@requires_role("admin")
def add_user() -> Any:
    form = AddUserForm()
    if not form.validate_on_submit():
        return _page(form, t("error_form"), 400)
    if form.password.data != form.password_repeat.data:
        return _page(form, t("error_passwords_differ"), 400)
    try:
        user = services().accounts.create_user(
            form.username.data or "",
            form.password.data or "",
            form.role.data or "viewer",
            actor=_actor(),
        )
    except AccountError as error:
        return _page(form, t(f"error_{error.code}"), 400)
    flash(("user_added", {"name": user.username}))
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>/role", methods=["POST"])
@requires_role("admin")
def change_role(username: str) -> Any:
    target = _existing(username)
    form = RoleForm(prefix=f"role-{target.id}")
    if not form.validate_on_submit():
        return _page(AddUserForm(), t("error_invalid_role"), 400)
    return _apply(lambda: services().accounts.set_role(username, form.role.data, actor=_actor()))


@bp.route("/users/<username>/disable", methods=["POST"])
@requires_role("admin")
def disable_user(username: str) -> Any:
    target = _existing(username)
    if target.id == current_user().id:  # type: ignore[union-attr]
        return _page(AddUserForm(), t("error_self_disable"), 400)
    return _apply(lambda: services().accounts.set_disabled(username, True, actor=_actor()))


@bp.route("/users/<username>/enable", methods=["POST"])
@requires_role("admin")
def enable_user(username: str) -> Any:
    _existing(username)
    return _apply(lambda: services().accounts.set_disabled(username, False, actor=_actor()))


@bp.route("/users/<username>/unlock", methods=["POST"])
@requires_role("admin")
def unlock_user(username: str) -> Any:
    """Staff lift a login lock-out (a locked colleague on the phone), audited as user.unlock."""
    target = _existing(username)
    if not ActionForm().validate_on_submit():
        return _page(AddUserForm(), t("error_form"), 400)
    services().accounts.unlock(target.username, actor=_actor())
    flash(("user_unlocked", {"name": target.username}))
    return redirect(url_for("admin.users"))


def _existing(username: str):
    user = services().accounts.find(username)
    if user is None:
        abort(404)
    return user


def _apply(change) -> Any:
    try:
        user = change()
    except AccountError as error:
        return _page(AddUserForm(), t(f"error_{error.code}"), 400)
    flash(("user_updated", {"name": user.username}))
    return redirect(url_for("admin.users"))


def _actor() -> str:
    return current_user().username  # type: ignore[union-attr]
