"""The Revisions page: review the draft's diff, publish, approve, export and import vendors.yaml.

Publishing is a separate, explicit step after a page that shows every change of the draft against
the live revision; the publish form carries the hash of the draft shown, so an edit made meanwhile
refuses the publish instead of riding along unseen. A draft that adds a script host becomes an
approval request that only another admin can approve (kelisim.services.revisions enforces both
rules; this module only maps them to pages and roles).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, url_for

from kelisim.domain.approval_scope import widened_reach
from kelisim.domain.bounds import parse_db_int
from kelisim.domain.catalogue import CatalogueError
from kelisim.services.revisions import Change, RevisionError, diff, to_yaml
from kelisim.web.admin.forms import ActionForm, ImportForm, PublishForm
from kelisim.web.admin.shell import bp, current_user, requires_role, services, t
from kelisim.web.admin.vendors import (
    actor,
    can_edit,
    flashed_messages,
    revision_error_text,
    revisions,
)


def _groups(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    """Changes grouped under a heading per vendor, purpose, text language or settings."""
    groups: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        groups.setdefault((change.section, change.item), []).append(change)
    return [
        (t(f"diff_section_{section}", item=item), items)
        for (section, item), items in groups.items()
    ]


@bp.route("/revisions", methods=["GET"], endpoint="revisions")
@requires_role("viewer")
def revisions_overview() -> Any:
    store = revisions()
    live, draft = store.live(), store.draft()
    changes = diff(live.document, draft.document)
    return render_template(
        "admin/revisions.html",
        live=live,
        changes=changes,
        pending=store.pending(),
        history=store.history(limit=30),
        approvals=store.approvals(limit=20),
        import_form=ImportForm(),
        action_form=ActionForm(),
        can_edit=can_edit(),
        import_problems=[],
        messages=flashed_messages(),
    )


@bp.route("/revisions/draft", methods=["GET"])
@requires_role("viewer")
def revisions_draft() -> Any:
    store = revisions()
    live, draft = store.live(), store.draft()
    changes = diff(live.document, draft.document)
    form = PublishForm(formdata=None, data={"reviewed_hash": store.draft_hash()})
    return render_template(
        "admin/revision_diff.html",
        live=live,
        groups=_groups(changes),
        changes=changes,
        added_hosts=widened_reach(live.document, draft.document),
        asks_again=store.draft_asks_again() if changes else [],
        pending=store.pending(),
        form=form,
        action_form=ActionForm(),
        can_edit=can_edit(),
        messages=flashed_messages(),
    )


@bp.route("/revisions/publish", methods=["POST"])
@requires_role("editor")
def revisions_publish() -> Any:
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = revisions().publish(
            actor(), form.reviewed_hash.data or "", ask_again=bool(form.ask_again.data)
        )
    except RevisionError as error:
        flash(("error_revision_other", {"message": revision_error_text(error)}))
        return redirect(url_for("admin.revisions_draft"))
    except CatalogueError as error:
        problems = "; ".join(str(problem) for problem in error.problems)
        flash(("error_revision_other", {"message": problems}))
        return redirect(url_for("admin.revisions_draft"))
    if result.approval is not None:
        flash(("approval_requested", {}))
        return redirect(url_for("admin.approval_view", approval_id=result.approval.id))
    assert result.published is not None
    _refresh_live()
    flash(("published_done", {"number": result.published.number}))
    return redirect(url_for("admin.revisions"))


def _refresh_live() -> None:
    """This worker serves the new revision at once; the others within their refresh interval."""
    from flask import current_app

    current_app.extensions["kelisim"].live.refresh()


def _approval_or_404(approval_id: str):
    number = parse_db_int(approval_id)
    if number is None:
        abort(404)
    approval = revisions().approval(number)
    if approval is None:
        abort(404)
    return approval


@bp.route("/revisions/approvals/<approval_id>", methods=["GET"])
@requires_role("viewer")
def approval_view(approval_id: str) -> Any:
    approval = _approval_or_404(approval_id)
    base = revisions().published(approval.base_revision)
    changes = diff(base.document if base else {}, approval.document)
    user = current_user()
    return render_template(
        "admin/revision_approval.html",
        approval=approval,
        groups=_groups(changes),
        changes=changes,
        action_form=ActionForm(),
        is_author=user is not None and user.username == approval.requested_by,
        is_admin=user is not None and user.has_role("admin"),
        messages=flashed_messages(),
    )


@bp.route("/revisions/approvals/<approval_id>/approve", methods=["POST"])
@requires_role("admin")
def approval_approve(approval_id: str) -> Any:
    approval = _approval_or_404(approval_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    # The author's own attempt gets the revisions' own answer ("own request") below.
    if actor() != approval.requested_by and not services().accounts.independent_of(
        actor(), approval.requested_by
    ):
        # An admin the requester made (directly or through others) is not a second opinion.
        flash(("error_revision_other", {"message": t("approval_not_independent")}))
        return redirect(url_for("admin.approval_view", approval_id=approval.id))
    try:
        published = revisions().approve(approval.id, actor())
    except RevisionError as error:
        key = "approval_own" if error.code == "own_request" else None
        message = t(key) if key else revision_error_text(error)
        flash(("error_revision_other", {"message": message}))
        return redirect(url_for("admin.approval_view", approval_id=approval.id))
    _refresh_live()
    flash(("published_done", {"number": published.number}))
    return redirect(url_for("admin.revisions"))


@bp.route("/revisions/approvals/<approval_id>/reject", methods=["POST"])
@requires_role("editor")
def approval_reject(approval_id: str) -> Any:
    approval = _approval_or_404(approval_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user()
    is_admin = user is not None and user.has_role("admin")
    try:
        revisions().reject(approval.id, actor(), may_decide_others=is_admin)
    except RevisionError as error:
        if error.code == "forbidden":
            abort(403)
        flash(("error_revision_other", {"message": revision_error_text(error)}))
        return redirect(url_for("admin.approval_view", approval_id=approval.id))
    flash(("approval_rejected", {}))
    return redirect(url_for("admin.revisions"))


@bp.route("/revisions/discard", methods=["POST"])
@requires_role("editor")
def revisions_discard() -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revisions().discard(actor())
    except RevisionError as error:
        flash(("error_revision_other", {"message": revision_error_text(error)}))
    else:
        flash(("draft_discarded", {}))
    return redirect(url_for("admin.revisions"))


@bp.route("/revisions/<number>/vendors.yaml", methods=["GET"])
@requires_role("viewer")
def revisions_export(number: str) -> Any:
    """Any published revision as vendors.yaml, a download (the live one from the overview)."""
    revision = parse_db_int(number)
    if revision is None:
        abort(404)
    published = revisions().published(revision)
    if published is None:
        abort(404)
    response = Response(to_yaml(published.document), mimetype="application/yaml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="vendors-revision-{published.number}.yaml"'
    )
    return response


@bp.route("/revisions/import", methods=["POST"])
@requires_role("editor")
def revisions_import() -> Any:
    form = ImportForm()
    store = revisions()
    problems: list[str] = []
    if not form.validate_on_submit():
        problems = [t("error_form")]
    else:
        upload = form.catalogue.data
        name = (upload.filename or "vendors.yaml").rsplit("/", 1)[-1][:120]
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            problems = [t("import_not_utf8")]
        else:
            try:
                store.import_yaml(actor(), text, name)
            except CatalogueError as error:
                problems = [str(problem) for problem in error.problems]
            except RevisionError as error:
                problems = [revision_error_text(error)]
            else:
                flash(("imported", {"name": name}))
                return redirect(url_for("admin.revisions_draft"))
    live, draft = store.live(), store.draft()
    body = render_template(
        "admin/revisions.html",
        live=live,
        changes=diff(live.document, draft.document),
        pending=store.pending(),
        history=store.history(limit=30),
        approvals=store.approvals(limit=20),
        import_form=form,
        action_form=ActionForm(),
        can_edit=can_edit(),
        import_problems=problems,
        messages=flashed_messages(),
    )
    return body, 400
