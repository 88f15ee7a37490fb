"""Flask-WTF forms of the admin UI; each one carries the CSRF token of the staff member's session.

Field labels and messages are rendered from `kelisim.web.admin.texts`, not from WTForms, so that
every string the staff read lives in one translated file. Length caps bound the work a request can
cause (argon2 hashes whatever it is given).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from kelisim.domain.appearance import BUILT_IN_PALETTES, COLOR_KEYS, POSITIONS, SCHEMES, THEMES
from kelisim.domain.catalogue import CONSENT_APIS, COOKIE_MATCHES, COOKIE_PARTIES, STORAGE_KINDS
from kelisim.services.accounts import PASSWORD_MAX_LENGTH, ROLES


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])


class CodeForm(FlaskForm):
    """A 6-digit authenticator code, or a recovery code (xxxxx-xxxxx)."""

    code = StringField(validators=[DataRequired(), Length(max=16)])


class ActionForm(FlaskForm):
    """A button that changes state (log out, disable, enable): only the CSRF token is needed."""


class AddUserForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    password_repeat = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    role = SelectField(choices=list(ROLES), default="viewer")


class RoleForm(FlaskForm):
    role = SelectField(choices=list(ROLES))


# -- the catalogue: vendors, texts, purposes, revisions (kelisim.web.admin.vendors,
# kelisim.web.admin.revisions) --
# Only shapes and sizes are checked here; what a value means (a host, a lifetime, a country) is
# checked by the catalogue loader on the whole draft, so the admin UI and vendors.yaml obey the
# same rules and report the same problems.

CATALOGUE_UPLOAD_MAX_BYTES = 1024 * 1024


class CookieRowForm(Form):
    """One cookie row; a plain WTForms form, because the vendor form carries the CSRF token."""

    name = StringField(validators=[Optional(), Length(max=200)])
    match = SelectField(choices=list(COOKIE_MATCHES), default="exact")
    party = SelectField(choices=list(COOKIE_PARTIES), default="first")
    domain = StringField(validators=[Optional(), Length(max=253)])
    lifetime = StringField(validators=[Optional(), Length(max=32)])


class StorageRowForm(Form):
    kind = SelectField(choices=list(STORAGE_KINDS), default="local")
    key = StringField(validators=[Optional(), Length(max=200)])
    match = SelectField(choices=list(COOKIE_MATCHES), default="exact")


class VendorForm(FlaskForm):
    """A vendor of the draft; `vendor_form()` adds one description field per catalogue language."""

    vendor_id = StringField(validators=[Length(max=64)])
    name = StringField(validators=[Length(max=200)])
    company = StringField(validators=[Length(max=300)])
    country = StringField(validators=[Length(max=8)])
    data_leaves_kz = BooleanField()
    purposes = SelectMultipleField(choices=[], validate_choice=False)
    privacy_policy_url = StringField(validators=[Length(max=2048)])
    consent_api = SelectField(choices=["", *CONSENT_APIS])  # "" = none
    script_hosts = TextAreaField(validators=[Length(max=8000)])
    beacon_hosts = TextAreaField(validators=[Length(max=8000)])
    paths = TextAreaField(validators=[Length(max=4000)])
    cookies = FieldList(FormField(CookieRowForm), max_entries=300)
    storage = FieldList(FormField(StorageRowForm), max_entries=300)
    unknown = TextAreaField(validators=[Length(max=16000)])


def vendor_form(languages: Iterable[str], **kwargs: Any) -> VendorForm:
    """The vendor form for a catalogue in `languages` (the catalogue decides which exist)."""

    class LocalisedVendorForm(VendorForm):
        pass

    for language in languages:
        field = TextAreaField(validators=[Length(max=10000)])
        setattr(LocalisedVendorForm, f"description_{language}", field)
    return LocalisedVendorForm(**kwargs)


def texts_form(keys: Sequence[str], **kwargs: Any) -> FlaskForm:
    """One field per banner text key, named by position (`k_0`, …): keys are free-form."""

    class TextsForm(FlaskForm):
        pass

    for index, _key in enumerate(keys):
        setattr(TextsForm, f"k_{index}", TextAreaField(validators=[Length(max=10000)]))
    return TextsForm(**kwargs)


def purpose_form(languages: Iterable[str], **kwargs: Any) -> FlaskForm:
    class PurposeForm(FlaskForm):
        pass

    for language in languages:
        setattr(PurposeForm, f"name_{language}", StringField(validators=[Length(max=300)]))
        setattr(
            PurposeForm, f"description_{language}", TextAreaField(validators=[Length(max=10000)])
        )
    return PurposeForm(**kwargs)


class PublishForm(FlaskForm):
    """Carries the hash of the draft the publisher reviewed, so a later edit cannot ride along."""

    reviewed_hash = HiddenField(validators=[DataRequired(), Length(max=80)])
    # Only offered when the change is not material: a material one asks everyone anyway.
    ask_again = BooleanField()


class ImportForm(FlaskForm):
    catalogue = FileField(validators=[FileRequired()])


class AppearanceForm(FlaskForm):
    """The banner's look (kelisim.domain.appearance): colours are #rrggbb from <input type=color>; a
    scheme's own colours are used only when its box is ticked, else the built-in palette stays."""

    position = SelectField(choices=list(POSITIONS), default="bar")
    theme = SelectField(choices=list(THEMES), default="light")
    logo_url = StringField(validators=[Optional(), Length(max=500)])
    light_custom = BooleanField()
    dark_custom = BooleanField()


for _scheme in SCHEMES:
    for _key in COLOR_KEYS:
        setattr(
            AppearanceForm,
            f"{_scheme}_{_key}",
            StringField(
                validators=[Optional(), Length(max=7)],
                default=BUILT_IN_PALETTES[_scheme][_key],
                render_kw={"type": "color"},
            ),
        )
