"""Flask-WTF forms of the admin UI; each one carries the CSRF token of the staff member's session.

Field labels and messages are rendered from `cmp.admin.texts`, not from WTForms, so that every
string the staff read lives in one translated file. Length caps bound the work a request can cause
(argon2 hashes whatever it is given).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from cmp.accounts import PASSWORD_MAX_LENGTH, ROLES


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])


class ActionForm(FlaskForm):
    """A button that changes state (log out, disable, enable): only the CSRF token is needed."""


class AddUserForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    password_repeat = PasswordField(validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)])
    role = SelectField(choices=list(ROLES), default="viewer")


class RoleForm(FlaskForm):
    role = SelectField(choices=list(ROLES))
