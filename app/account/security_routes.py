"""/account/security: the person's second factors (SPEC §10). The authenticator app is set up
by scanning a QR code drawn here and confirming a code; recovery codes are shown once. Passkeys
have their own routes (passkey_routes.py); remembered devices are listed with the sessions."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.account import bp
from app.auth import devices, enforcement, factors
from app.forms import password_field
from app.web import attempt


class ConfirmAppForm(FlaskForm):
    code = StringField(
        "Code from the app",
        [DataRequired(message="Type the 6 digits the app shows."), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordCheckForm(FlaskForm):
    password = password_field("Your password", "current-password")


def _grouped(key: str | None) -> str:
    """The key in groups of four, as people copy it (apps ignore the spaces)."""
    key = key or ""
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _me():
    return current_user._get_current_object()


def page(status: int = 200, *, codes: list[str] | None = None, **forms):
    user = _me()
    if codes:
        g.no_store = True  # recovery codes exist nowhere else once this page is gone
    setting_up = user.totp_secret is not None and not factors.has_app(user)
    return render_template(
        "account/security.html",
        user=user,
        has_app=factors.has_app(user),
        setting_up=setting_up,
        qr=factors.qr_svg(factors.provisioning_uri(user)) if setting_up else None,
        secret=_grouped(user.totp_secret) if setting_up else None,
        codes=codes,
        codes_left=factors.recovery_left(user),
        passkey_list=factors.passkeys_of(user),
        requirement=enforcement.requirement(user),
        confirm_form=forms.get("confirm_form") or ConfirmAppForm(formdata=None),
        remove_form=forms.get("remove_form") or PasswordCheckForm(formdata=None),
        codes_form=forms.get("codes_form") or PasswordCheckForm(formdata=None),
    ), status


@bp.get("/security")
@login_required
def security():
    return page()


@bp.post("/security/app")
@login_required
def begin_app():
    done = attempt(factors.begin_app, _me())
    if not done.ok:
        done.flash()
    return redirect(url_for(".security", _anchor="app"), 303)


@bp.post("/security/app/confirm")
@login_required
def confirm_app():
    form = ConfirmAppForm()
    if not form.validate_on_submit():
        return page(422, confirm_form=form)
    done = attempt(factors.confirm_app, _me(), form.code.data)
    if not done.ok:
        done.flash(form)
        return page(done.status, confirm_form=form)
    flash("Your authenticator app is set up. Sign-in now asks for its code.", "success")
    return page(codes=done.value) if done.value else redirect(url_for(".security"), 303)


@bp.post("/security/app/remove")
@login_required
def remove_app():
    form = PasswordCheckForm()
    if not form.validate_on_submit():
        return page(422, remove_form=form)
    done = attempt(factors.remove_app, _me(), form.password.data)
    if not done.ok:
        done.flash(form)
        return page(done.status, remove_form=form)
    flash("The authenticator app is removed.", "success")
    return redirect(url_for(".security"), 303)


@bp.post("/security/recovery-codes")
@login_required
def regenerate_codes():
    form = PasswordCheckForm()
    if not form.validate_on_submit():
        return page(422, codes_form=form)
    done = attempt(factors.regenerate_codes, _me(), form.password.data)
    if not done.ok:
        done.flash(form)
        return page(done.status, codes_form=form)
    flash("New recovery codes: the old ones no longer work.", "success")
    return page(codes=done.value)


@bp.post("/devices/<int:device_id>/forget")
@login_required
def forget_device(device_id: int):
    done = attempt(devices.revoke, _me(), device_id)
    if done.ok:
        flash("That device will be asked for the second factor again.", "success")
    else:
        done.flash()
    return redirect(url_for(".session_list"), 303)
