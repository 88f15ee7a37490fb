"""The banner's appearance in the admin: position, scheme, logo and colours, saved into the draft
catalogue (its `appearance` block) and published with the next revision like any other change.

The whole draft is validated by the catalogue loader, so a colour pair below 4.5:1 is refused here
with the same message vendors.yaml would get, shown beside the colour that fails.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for

from kelisim.domain.appearance import BUILT_IN_PALETTES, COLOR_KEYS, POSITIONS, SCHEMES, THEMES
from kelisim.domain.catalogue import CatalogueError, Problem
from kelisim.services.revisions import RevisionError
from kelisim.web.admin.forms import AppearanceForm
from kelisim.web.admin.shell import bp, requires_role, t
from kelisim.web.admin.vendors import (
    actor,
    can_edit,
    flashed_messages,
    revision_error_text,
    revisions,
)


def _form_data(block: dict[str, Any] | None) -> dict[str, Any]:
    block = block or {}
    colors = block.get("colors") or {}
    data: dict[str, Any] = {
        "position": block.get("position") or "bar",
        "theme": block.get("theme") or "light",
        "logo_url": block.get("logo_url") or "",
    }
    for scheme in SCHEMES:
        palette = colors.get(scheme)
        data[f"{scheme}_custom"] = palette is not None
        for key in COLOR_KEYS:
            data[f"{scheme}_{key}"] = (palette or BUILT_IN_PALETTES[scheme])[key]
    return data


def _block(form: AppearanceForm) -> dict[str, Any]:
    colors = {
        scheme: {key: (getattr(form, f"{scheme}_{key}").data or "").strip() for key in COLOR_KEYS}
        for scheme in SCHEMES
        if getattr(form, f"{scheme}_custom").data
    }
    return {
        "position": form.position.data,
        "theme": form.theme.data,
        "logo_url": (form.logo_url.data or "").strip() or None,
        "colors": colors,
    }


def _field(problem: Problem) -> str | None:
    """The form field a catalogue problem is about (appearance.colors.light.text -> light_text)."""
    steps = problem.location
    if steps[:1] != ("appearance",):
        return None
    if steps[1:2] == ("colors",) and len(steps) == 4:
        return f"{steps[2]}_{steps[3]}"
    return str(steps[1]) if steps[1:2] in (("position",), ("theme",), ("logo_url",)) else None


def _render(form: AppearanceForm, problems=None, general=None, status: int = 200) -> Any:
    draft = revisions().draft()
    body = render_template(
        "admin/appearance.html",
        form=form,
        schemes=SCHEMES,
        positions=POSITIONS,
        themes=THEMES,
        color_keys=COLOR_KEYS,
        cat_languages=list(draft.document.get("languages") or []),
        problems=problems or {},
        general=general or [],
        can_edit=can_edit(),
        messages=flashed_messages(),
    )
    return body, status


@bp.route("/appearance", methods=["GET"])
@requires_role("viewer")
def appearance_edit() -> Any:
    block = revisions().draft().document.get("appearance")
    return _render(AppearanceForm(formdata=None, data=_form_data(block)))


@bp.route("/appearance", methods=["POST"])
@requires_role("editor")
def appearance_update() -> Any:
    form = AppearanceForm()
    if not form.validate_on_submit():
        return _render(form, general=[t("error_form")], status=400)
    try:
        revisions().set_appearance(actor(), _block(form))
    except CatalogueError as error:
        problems: dict[str, list[str]] = {}
        general = []
        for problem in error.problems:
            name = _field(problem)
            if name is not None:
                problems.setdefault(name, []).append(problem.message)
            else:
                general.append(f"{problem.field}: {problem.message}")
        return _render(form, problems=problems, general=general, status=400)
    except RevisionError as error:
        return _render(form, general=[revision_error_text(error)], status=409)
    flash(("saved_to_draft", {}))
    return redirect(url_for("admin.appearance_edit"))
