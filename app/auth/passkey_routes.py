"""Passkeys at sign-in (SPEC §10): "Sign in with a passkey" on /login (a passkey alone) and
"Use a passkey" on /login/verify (the second factor after a password).

static/js/passkeys.js asks for the options (a JSON POST with the CSRF token in X-CSRFToken),
calls the authenticator, and posts its answer in an ordinary form, so the answer comes back as
a page like any sign-in. The same limits as passwords, per address and per account, and every
refusal in the audit log.
"""

from __future__ import annotations

import json

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from webauthn.helpers import base64url_to_bytes
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired, Length

from app import audit
from app.auth import bp, ceremony, passkey_signin, passkeys, second_step, throttle, verify_routes
from app.auth.forms import LoginForm
from app.auth.passkey_signin import PasskeyRefused
from app.extensions import db, discard_session, limiter
from app.models import Passkey
from app.sso import accounts as sso_accounts
from app.urls import local_path


class PasskeyForm(FlaskForm):
    credential = HiddenField(validators=[DataRequired(), Length(max=ceremony.CREDENTIAL_MAX)])


class PasskeyVerifyForm(PasskeyForm):
    remember_device = BooleanField()


def _owner_key() -> str:
    """The account whose passkey is named, so failures against one account are limited as a
    password's are; an unknown or unreadable credential counts against the address."""
    try:
        text = request.form.get("credential", "")[: ceremony.CREDENTIAL_MAX]
        raw_id = json.loads(text).get("rawId")
        owner = db.session.scalar(
            select(Passkey.user_id).where(Passkey.credential_id == base64url_to_bytes(raw_id))
        )
    except SQLAlchemyError:
        discard_session()
        owner = None
    except (*passkeys.MALFORMED, AttributeError):
        owner = None
    return f"account:{owner}" if owner else throttle.ip_key()


def _refused(exc: PasskeyRefused, action: str) -> None:
    """Nothing of the attempt is kept but its line in the audit log."""
    db.session.rollback()
    g.login_failed = True
    user = exc.user
    audit.record(action, user, target_user=user, detail=f"passkey: {exc.reason}")
    db.session.commit()


@bp.post("/login/passkey/options")
@limiter.limit(throttle.login_ip_limit, scope="passkey-options-ip", key_func=throttle.ip_key)
def passkey_options():
    """Options for navigator.credentials.get(): `?step=verify` for the second step (the pending
    person's passkeys only), otherwise for a passkey alone (any of this site's)."""
    user = None
    purpose = "verify" if request.args.get("step") == "verify" else "login"
    if purpose == "verify":
        pending = second_step.pending()
        if pending is None:
            return {"error": "Sign in again: that step has expired."}, 409
        user = pending.user
    options, challenge = passkey_signin.options(ceremony.relying_party(), user)
    ceremony.remember(purpose, challenge)
    return ceremony.json_answer(options)


def _login_page(message: str, target: str | None, status: int):
    form = LoginForm(formdata=None)
    page = render_template("auth/login.html", form=form, failed=message, next_path=target)
    return page, status


@bp.post("/login/passkey")
@limiter.limit(throttle.login_ip_limit, scope="passkey-ip", key_func=throttle.ip_key)
@limiter.limit(
    throttle.login_account_limit,
    scope="passkey-account",
    key_func=_owner_key,
    deduct_when=throttle.login_failed,
)
def passkey_login():
    target = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.dashboard"), 303)
    form = PasskeyForm()
    if not form.validate_on_submit():
        return _login_page("Choose a passkey first.", target, 422)
    challenge = ceremony.take("login")
    try:
        user = passkey_signin.sign_in(ceremony.relying_party(), challenge, form.credential.data)
    except PasskeyRefused as exc:
        _refused(exc, "login.failed")
        return _login_page(exc.message, target, 401)
    if user.email and sso_accounts.password_refused(user.email) is not None:
        db.session.rollback()  # the domain signs in through its identity provider (SPEC §8)
        return render_template("sso/required.html", next_path=target), 403
    pending = second_step.Pending(user, remember=False, target=target)
    return verify_routes.finish(pending)


@bp.post("/login/verify/passkey")
@limiter.limit(throttle.login_ip_limit, scope="verify-ip", key_func=throttle.ip_key)
@limiter.limit(
    throttle.login_account_limit,
    scope="verify-account",
    key_func=verify_routes.pending_account_key,
    deduct_when=throttle.login_failed,
)
def verify_passkey():
    """The second step with a passkey: one of the pending person's own."""
    pending = second_step.pending()
    if pending is None:
        flash("Sign in again: that step has expired.", "info")
        return redirect(url_for("auth.login"), 303)
    form = PasskeyVerifyForm()
    if not form.validate_on_submit():
        flash("Choose a passkey first.", "error")
        return verify_routes.page(verify_routes.VerifyForm(formdata=None), pending, 422)
    challenge = ceremony.take("verify")
    try:
        passkey_signin.second_factor(
            pending.user, ceremony.relying_party(), challenge, form.credential.data
        )
    except PasskeyRefused as exc:
        _refused(exc, "factor.failed")
        flash(exc.message, "error")
        return verify_routes.page(verify_routes.VerifyForm(formdata=None), pending, 401)
    second_step.clear()
    return verify_routes.finish(pending, bool(form.remember_device.data))
