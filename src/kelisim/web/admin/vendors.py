"""The Vendors, Banner texts and Purposes pages: staff edit the draft catalogue.

Every edit goes to the shared draft through kelisim.services.revisions, which runs the catalogue
loader over the whole draft; the loader's problems come back as `Problem`s whose field path
(``vendor 'vk': cookies[2].lifetime``) is mapped onto the form field that produced it, so the
message stands next to what has to be fixed and the draft stays unchanged. Viewers see the same
pages read-only; publishing is on the Revisions page (kelisim.web.admin.revisions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from kelisim.domain.catalogue import CatalogueError, Problem
from kelisim.services.revisions import Draft, RevisionError, Revisions, diff, vendor_of
from kelisim.web.admin.forms import (
    CATALOGUE_UPLOAD_MAX_BYTES,
    ActionForm,
    VendorForm,
    purpose_form,
    texts_form,
    vendor_form,
)
from kelisim.web.admin.shell import bp, current_user, flashed, requires_role, t

# Catalogue forms carry long texts in three languages (Cyrillic is six bytes per letter once
# URL-encoded): these endpoints may receive more than the app-wide 16 KiB API body limit.
LARGE_FORM_ENDPOINTS = frozenset(
    {
        "admin.vendor_create",
        "admin.vendor_update",
        "admin.texts_update",
        "admin.purpose_update",
        "admin.revisions_import",
    }
)
BLANK_ROWS = 2


@bp.url_value_preprocessor
def _large_forms(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs before every before_request (CSRF included), i.e. before the form is parsed."""
    if endpoint in LARGE_FORM_ENDPOINTS:
        request.max_content_length = CATALOGUE_UPLOAD_MAX_BYTES
        request.max_form_memory_size = CATALOGUE_UPLOAD_MAX_BYTES


def revisions() -> Revisions:
    from flask import current_app

    return current_app.extensions["kelisim"].revisions


def actor() -> str:
    return current_user().username  # type: ignore[union-attr]


def can_edit() -> bool:
    user = current_user()
    return user is not None and user.has_role("editor")


def revision_error_text(error: RevisionError) -> str:
    key = f"error_revision_{error.code}"
    from kelisim.web.admin.texts import TEXTS

    return t(key) if key in TEXTS else t("error_revision_other", message=str(error))


flashed_messages = flashed


# --- the list ---------------------------------------------------------------------------------


@bp.route("/vendors", methods=["GET"])
@requires_role("viewer")
def vendors() -> Any:
    store = revisions()
    live, draft = store.live(), store.draft()
    changed = {change.item for change in diff(live.document, draft.document)}
    purposes = {p["id"]: p for p in draft.document.get("purposes") or []}
    return render_template(
        "admin/vendors.html",
        vendors=draft.document.get("vendors") or [],
        parked=draft.parked,
        changed=changed,
        purposes=purposes,
        cat_languages=draft.document.get("languages") or [],
        default_language=draft.document.get("default_language"),
        live=live,
        pending=store.pending(),
        action_form=ActionForm(),
        can_edit=can_edit(),
        messages=flashed_messages(),
    )


# --- one vendor -------------------------------------------------------------------------------


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").strip()


def _form_data(vendor: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "vendor_id": vendor.get("id", ""),
        "name": vendor.get("name", ""),
        "company": vendor.get("company", ""),
        "country": vendor.get("country") or "",
        "data_leaves_kz": bool(vendor.get("data_leaves_kz")),
        "purposes": list(vendor.get("purposes") or []),
        "privacy_policy_url": vendor.get("privacy_policy_url", ""),
        "consent_api": vendor.get("consent_api") or "",
        "script_hosts": "\n".join(vendor.get("script_hosts") or []),
        "beacon_hosts": "\n".join(vendor.get("beacon_hosts") or []),
        "paths": "\n".join(vendor.get("paths") or []),
        "cookies": [
            {
                "name": cookie.get("name", ""),
                "match": cookie.get("match", "exact"),
                "party": cookie.get("party", "first"),
                "domain": cookie.get("domain") or "",
                "lifetime": str(cookie.get("lifetime", "")),
            }
            for cookie in vendor.get("cookies") or []
        ],
        "storage": [
            {"kind": i.get("kind", "local"), "key": i.get("key", ""), "match": i.get("match")}
            for i in vendor.get("storage") or []
        ],
        "unknown": "\n".join(
            f"{key}: {note}" for key, note in (vendor.get("unknown") or {}).items()
        ),
    }
    description = vendor.get("description") or {}
    for language in languages:
        data[f"description_{language}"] = description.get(language, "")
    return data


class _Built:
    """A vendor dict from the form, with where each kept cookie/storage row came from."""

    def __init__(self) -> None:
        self.vendor: dict[str, Any] = {}
        self.rows: dict[str, list[int]] = {"cookies": [], "storage": []}
        self.problems: dict[str, list[str]] = {}


def _vendor_from_form(form: VendorForm, languages: list[str]) -> _Built:
    built = _Built()
    vendor: dict[str, Any] = {
        "id": (form.vendor_id.data or "").strip(),
        "name": (form.name.data or "").strip(),
        "company": (form.company.data or "").strip(),
        "country": (form.country.data or "").strip() or None,
        "data_leaves_kz": bool(form.data_leaves_kz.data),
        "purposes": list(form.purposes.data or []),
        "privacy_policy_url": (form.privacy_policy_url.data or "").strip(),
        "consent_api": form.consent_api.data or None,
        "script_hosts": _lines(form.script_hosts.data),
        "beacon_hosts": _lines(form.beacon_hosts.data),
    }
    paths = _lines(form.paths.data)
    if paths:
        vendor["paths"] = paths
    cookies = []
    for index, row in enumerate(form.cookies.entries):
        values = row.form
        name, domain = (values.name.data or "").strip(), (values.domain.data or "").strip()
        lifetime = (values.lifetime.data or "").strip()
        if not (name or domain or lifetime):
            continue
        cookie: dict[str, Any] = {
            "name": name,
            "match": values.match.data,
            "party": values.party.data,
        }
        if domain:
            cookie["domain"] = domain
        cookie["lifetime"] = lifetime
        cookies.append(cookie)
        built.rows["cookies"].append(index)
    vendor["cookies"] = cookies
    storage = []
    for index, row in enumerate(form.storage.entries):
        key = (row.form.key.data or "").strip()
        if not key:
            continue
        storage.append({"kind": row.form.kind.data, "key": key, "match": row.form.match.data})
        built.rows["storage"].append(index)
    vendor["storage"] = storage
    unknown: dict[str, str] = {}
    for line in _lines(form.unknown.data):
        key, sep, note = line.partition(":")
        if not sep or not key.strip() or not note.strip():
            built.problems.setdefault("unknown", []).append(t("vendor_unknown_line", line=line))
            continue
        unknown[key.strip()] = note.strip()
    if unknown:
        vendor["unknown"] = unknown
    vendor["description"] = {
        language: _text(getattr(form, f"description_{language}").data) for language in languages
    }
    built.vendor = vendor
    return built


def _field_key(steps: tuple[str | int, ...], built: _Built) -> str:
    """The form field a problem inside the vendor came from (`steps` follow the vendor)."""
    head = steps[0] if steps else ""
    if head in ("cookies", "storage") and len(steps) > 1 and isinstance(steps[1], int):
        rows = built.rows[str(head)]
        row = rows[steps[1]] if steps[1] < len(rows) else steps[1]
        return f"{head}-{row}-{steps[2]}" if len(steps) > 2 else f"{head}-{row}"
    if head == "description" and len(steps) > 1:
        return f"description_{steps[1]}"
    return {"id": "vendor_id"}.get(str(head), str(head))


def _attach(problems: list[Problem], built: _Built, index: int | None) -> list[str]:
    """Put each problem on its field; return the ones that belong to no field of this form."""
    mine = {("vendors", built.vendor.get("id"))}
    if index is not None:
        mine.add(("vendors", index))
    general = []
    for problem in problems:
        steps = problem.location
        if steps[:2] in mine:
            key = _field_key(steps[2:], built)
            built.problems.setdefault(key, []).append(problem.message)
        else:
            general.append(f"{problem.field}: {problem.message}" if problem.field else str(problem))
    return general


def _purpose_choices(draft: Draft) -> list[tuple[str, str]]:
    language = draft.document.get("default_language") or "ru"
    return [
        (p["id"], (p.get("name") or {}).get(language, p["id"]))
        for p in draft.document.get("purposes") or []
        if not p.get("required")
    ]


def _render_vendor(
    form: VendorForm,
    draft: Draft,
    *,
    original_id: str | None,
    problems: Mapping[str, list[str]] | None = None,
    general: list[str] | None = None,
    status: int = 200,
) -> Any:
    languages = list(draft.document.get("languages") or [])
    for _ in range(BLANK_ROWS):
        form.cookies.append_entry()
        form.storage.append_entry()
    choices = _purpose_choices(draft)
    form.purposes.choices = [value for value, _label in choices]
    body = render_template(
        "admin/vendor_edit.html",
        form=form,
        purpose_choices=choices,
        original_id=original_id,
        cat_languages=languages,
        problems=problems or {},
        general=general or [],
        can_edit=can_edit(),
        pending=revisions().pending(),
        action_form=ActionForm(),
        messages=flashed_messages(),
    )
    return body, status


@bp.route("/vendors/new", methods=["GET"])
@requires_role("editor")
def vendor_new() -> Any:
    draft = revisions().draft()
    languages = list(draft.document.get("languages") or [])
    form = vendor_form(languages, formdata=None, data={"data_leaves_kz": True})
    return _render_vendor(form, draft, original_id=None)


@bp.route("/vendors/new", methods=["POST"])
@requires_role("editor")
def vendor_create() -> Any:
    return _save(None)


@bp.route("/vendors/<vendor_id>", methods=["GET"])
@requires_role("viewer")
def vendor_edit(vendor_id: str) -> Any:
    draft = revisions().draft()
    vendor = vendor_of(draft.document, vendor_id) or draft.parked_vendor(vendor_id)
    if vendor is None:
        abort(404)
    languages = list(draft.document.get("languages") or [])
    form = vendor_form(languages, formdata=None, data=_form_data(vendor, languages))
    return _render_vendor(form, draft, original_id=vendor_id)


@bp.route("/vendors/<vendor_id>", methods=["POST"])
@requires_role("editor")
def vendor_update(vendor_id: str) -> Any:
    return _save(vendor_id)


# Vendor fields this form does not edit (yet): an edit keeps them as they are, so a text fix never
# drops a vendor's domain families, shared-host paths or Consent Mode types. Edit them in
# vendors.yaml and import it (kelisim import catalogue).
KEPT_FIELDS = ("consent_mode", "domains", "urls")


def _save(original_id: str | None) -> Any:
    store = revisions()
    draft = store.draft()
    if original_id is not None and vendor_of(draft.document, original_id) is None:
        abort(404)  # unknown, or disabled (enable it first)
    languages = list(draft.document.get("languages") or [])
    form = vendor_form(languages)
    form.purposes.choices = [value for value, _label in _purpose_choices(draft)]
    if not form.validate_on_submit():
        return _render_vendor(
            form, draft, original_id=original_id, general=[t("error_form")], status=400
        )
    built = _vendor_from_form(form, languages)
    if original_id is not None:
        current = vendor_of(draft.document, original_id) or {}
        for key in KEPT_FIELDS:
            if key in current:
                built.vendor[key] = current[key]
    vendors = draft.document.get("vendors") or []
    index = (
        len(vendors)
        if original_id is None
        else next(i for i, v in enumerate(vendors) if v.get("id") == original_id)
    )
    general: list[str] = []
    if not built.problems:
        try:
            store.save_vendor(actor(), built.vendor, original_id)
        except CatalogueError as error:
            general = _attach(error.problems, built, index)
        except RevisionError as error:
            general = [revision_error_text(error)]
        else:
            flash(("saved_to_draft", {}))
            return redirect(url_for("admin.vendor_edit", vendor_id=built.vendor["id"]))
    # Show the form as it was sent (blank rows included), with the problems beside the fields.
    return _render_vendor(
        form, draft, original_id=original_id, problems=built.problems, general=general, status=400
    )


@bp.route("/vendors/<vendor_id>/disable", methods=["POST"])
@requires_role("editor")
def vendor_disable(vendor_id: str) -> Any:
    return _toggle(vendor_id, False)


@bp.route("/vendors/<vendor_id>/enable", methods=["POST"])
@requires_role("editor")
def vendor_enable(vendor_id: str) -> Any:
    return _toggle(vendor_id, True)


def _toggle(vendor_id: str, enabled: bool) -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revisions().set_vendor_enabled(actor(), vendor_id, enabled)
    except RevisionError as error:
        if error.code == "unknown_vendor":
            abort(404)
        flash(("error_revision_other", {"message": revision_error_text(error)}))
    except CatalogueError as error:
        flash(("error_revision_other", {"message": "; ".join(str(p) for p in error.problems)}))
    else:
        key = "vendor_enabled_done" if enabled else "vendor_disabled_done"
        flash((key, {"name": vendor_id}))
    return redirect(url_for("admin.vendors"))


# --- banner texts -----------------------------------------------------------------------------


@bp.route("/texts/<language>", methods=["GET"])
@requires_role("viewer")
def texts_edit(language: str) -> Any:
    draft = revisions().draft()
    texts = (draft.document.get("texts") or {}).get(language)
    if texts is None:
        abort(404)
    keys = list(texts)
    form = texts_form(keys, formdata=None, data={f"k_{i}": texts[k] for i, k in enumerate(keys)})
    return _render_texts(form, draft, language, keys)


@bp.route("/texts/<language>", methods=["POST"])
@requires_role("editor")
def texts_update(language: str) -> Any:
    store = revisions()
    draft = store.draft()
    texts = (draft.document.get("texts") or {}).get(language)
    if texts is None:
        abort(404)
    keys = list(texts)
    form = texts_form(keys)
    if not form.validate_on_submit():
        return _render_texts(form, draft, language, keys, general=[t("error_form")], status=400)
    values = {key: _text(getattr(form, f"k_{i}").data) for i, key in enumerate(keys)}
    try:
        store.set_texts(actor(), language, values)
    except CatalogueError as error:
        problems: dict[str, list[str]] = {}
        general = []
        for problem in error.problems:
            steps = problem.location
            key = steps[2] if len(steps) == 3 and steps[:2] == ("texts", language) else None
            if key in keys:
                problems.setdefault(f"k_{keys.index(key)}", []).append(problem.message)
            else:
                general.append(f"{problem.field}: {problem.message}")
        return _render_texts(
            form, draft, language, keys, problems=problems, general=general, status=400
        )
    except RevisionError as error:
        return _render_texts(
            form, draft, language, keys, general=[revision_error_text(error)], status=409
        )
    flash(("saved_to_draft", {}))
    return redirect(url_for("admin.texts_edit", language=language))


def _render_texts(
    form: Any,
    draft: Draft,
    language: str,
    keys: list[str],
    *,
    problems: Mapping[str, list[str]] | None = None,
    general: list[str] | None = None,
    status: int = 200,
) -> Any:
    body = render_template(
        "admin/texts_edit.html",
        form=form,
        keys=keys,
        language=language,
        cat_languages=list(draft.document.get("languages") or []),
        problems=problems or {},
        general=general or [],
        can_edit=can_edit(),
        messages=flashed_messages(),
    )
    return body, status


# --- purposes ---------------------------------------------------------------------------------


def _purpose(draft: Draft, purpose_id: str) -> dict[str, Any]:
    for purpose in draft.document.get("purposes") or []:
        if purpose.get("id") == purpose_id:
            return purpose
    abort(404)


@bp.route("/purposes/<purpose_id>", methods=["GET"])
@requires_role("viewer")
def purpose_edit(purpose_id: str) -> Any:
    draft = revisions().draft()
    purpose = _purpose(draft, purpose_id)
    languages = list(draft.document.get("languages") or [])
    data = {}
    for language in languages:
        data[f"name_{language}"] = (purpose.get("name") or {}).get(language, "")
        data[f"description_{language}"] = (purpose.get("description") or {}).get(language, "")
    form = purpose_form(languages, formdata=None, data=data)
    return _render_purpose(form, draft, purpose)


@bp.route("/purposes/<purpose_id>", methods=["POST"])
@requires_role("editor")
def purpose_update(purpose_id: str) -> Any:
    store = revisions()
    draft = store.draft()
    purpose = _purpose(draft, purpose_id)
    languages = list(draft.document.get("languages") or [])
    form = purpose_form(languages)
    if not form.validate_on_submit():
        return _render_purpose(form, draft, purpose, general=[t("error_form")], status=400)
    name = {lang: _text(getattr(form, f"name_{lang}").data) for lang in languages}
    description = {lang: _text(getattr(form, f"description_{lang}").data) for lang in languages}
    try:
        store.set_purpose(actor(), purpose_id, name, description)
    except CatalogueError as error:
        problems: dict[str, list[str]] = {}
        general = []
        for problem in error.problems:
            steps = problem.location
            if steps[:2] != ("purposes", purpose_id) or len(steps) < 3:
                general.append(f"{problem.field}: {problem.message}")
                continue
            key = "_".join(str(step) for step in steps[2:])
            problems.setdefault(key, []).append(problem.message)
        return _render_purpose(form, draft, purpose, problems=problems, general=general, status=400)
    except RevisionError as error:
        return _render_purpose(
            form, draft, purpose, general=[revision_error_text(error)], status=409
        )
    flash(("saved_to_draft", {}))
    return redirect(url_for("admin.purpose_edit", purpose_id=purpose_id))


def _render_purpose(
    form: Any,
    draft: Draft,
    purpose: Mapping[str, Any],
    *,
    problems: Mapping[str, list[str]] | None = None,
    general: list[str] | None = None,
    status: int = 200,
) -> Any:
    body = render_template(
        "admin/purpose_edit.html",
        form=form,
        purpose=purpose,
        purposes=draft.document.get("purposes") or [],
        cat_languages=list(draft.document.get("languages") or []),
        default_language=draft.document.get("default_language"),
        problems=problems or {},
        general=general or [],
        can_edit=can_edit(),
        messages=flashed_messages(),
    )
    return body, status
