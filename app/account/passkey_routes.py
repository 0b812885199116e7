"""The person's passkeys on /account/security (SPEC §10): add (static/js/passkeys.js asks for
the options, the authenticator makes the credential, the form posts it with its name), rename,
and remove with the password. The page itself is security_routes.py; a refusal comes back on it
with its status, the reason flashed at the top. Every endpoint here is named passkey_*: the
enrollment gate (app/auth/setup.py) lets a person who must add a factor reach them.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from app.account import bp, security_routes
from app.auth import ceremony, passkeys
from app.forms import password_field, text_field
from app.models.factor import PASSKEY_NAME_MAX
from app.web import attempt


class AddPasskeyForm(FlaskForm):
    name = text_field(
        "Name", PASSKEY_NAME_MAX, required=False, render_kw={"placeholder": "e.g. Work laptop"}
    )
    credential = HiddenField(validators=[DataRequired(), Length(max=ceremony.CREDENTIAL_MAX)])


class RenamePasskeyForm(FlaskForm):
    name = text_field("New name", PASSKEY_NAME_MAX)


class RemovePasskeyForm(FlaskForm):
    password = password_field("Your password", "current-password")


def _me():
    return current_user._get_current_object()


def _back():
    return redirect(url_for(".security", _anchor="passkeys"), 303)


def _refused(form: FlaskForm, status: int = 422):
    """The security page again, with what was wrong with the form at the top."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")
    return security_routes.page(status)


@bp.post("/security/passkeys/options")
@login_required
def passkey_options():
    options, challenge = passkeys.registration_options(_me(), ceremony.relying_party())
    ceremony.remember("register", challenge)
    return ceremony.json_answer(options)


@bp.post("/security/passkeys")
@login_required
def passkey_add():
    form = AddPasskeyForm()
    if not form.validate_on_submit():
        return _refused(form)
    challenge = ceremony.take("register")
    done = attempt(
        passkeys.add,
        _me(),
        ceremony.relying_party(),
        challenge,
        form.credential.data,
        form.name.data,
    )
    if not done.ok:
        done.flash()
        return security_routes.page(done.status)
    passkey, codes = done.value
    flash(f"Passkey “{passkey.name}” added. It signs you in on its own.", "success")
    return security_routes.page(codes=codes) if codes else _back()


@bp.post("/security/passkeys/<int:passkey_id>/rename")
@login_required
def passkey_rename(passkey_id: int):
    form = RenamePasskeyForm()
    if not form.validate_on_submit():
        return _refused(form)
    done = attempt(passkeys.rename, _me(), passkey_id, form.name.data)
    if not done.ok:
        done.flash()
        return security_routes.page(done.status)
    flash(f"Passkey renamed “{done.value.name}”.", "success")
    return _back()


@bp.post("/security/passkeys/<int:passkey_id>/delete")
@login_required
def passkey_remove(passkey_id: int):
    form = RemovePasskeyForm()
    if not form.validate_on_submit():
        return _refused(form)
    done = attempt(passkeys.remove, _me(), passkey_id, form.password.data)
    if not done.ok:
        done.flash()
        return security_routes.page(done.status)
    flash("The passkey is removed.", "success")
    return _back()
