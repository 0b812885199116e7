"""/login/verify: the second factor after the password (SPEC §10). A code of the app, a
recovery code, or a passkey (app/auth/passkey_routes.py); the same limits as passwords, per
address and per account, and every failure in the audit log."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from app import audit
from app.auth import bp, devices, factors, second_step, throttle, web
from app.extensions import db, limiter
from app.sso import web as sso_web
from app.web import attempt


class VerifyForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        [Optional(), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    recovery_code = StringField(
        "Or a recovery code", [Optional(), Length(max=20)], render_kw={"autocomplete": "off"}
    )
    remember_device = BooleanField(f"Remember this device for {devices.DAYS} days")


def pending_account_key() -> str:
    pending = second_step.pending()
    return f"account:{pending.user.id}" if pending else throttle.ip_key()


def finish(pending: second_step.Pending, remember_device: bool = False) -> Response:
    """The second factor is proved: sign the person in, as after a password, and go on."""
    user = pending.user
    link = sso_web.pending_link()  # read before sign_in clears the cookie session
    web.sign_in(user, remember=pending.remember)
    if attempt(sso_web.complete_link, user, link).error is not None:
        flash("That identity is already linked to another account.", "error")
    response = redirect(pending.target or url_for("main.dashboard"), 303)
    if remember_device:
        devices.remember(user, response)
    db.session.commit()
    flash(f"Signed in as {user.username}.", "success")
    return response


def page(form: VerifyForm, pending: second_step.Pending, status: int = 200):
    user = pending.user
    page = render_template(
        "auth/verify.html",
        form=form,
        has_app=factors.has_app(user),
        has_passkey=factors.passkey_count(user) > 0,
    )
    return make_response(page, status)


def _proved(pending: second_step.Pending, form: VerifyForm) -> bool:
    user = pending.user
    if form.code.data:
        return factors.check_code(user, form.code.data)
    return bool(form.recovery_code.data) and factors.use_recovery_code(
        user, form.recovery_code.data
    )


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(
    throttle.login_ip_limit, methods=["POST"], scope="verify-ip", key_func=throttle.ip_key
)
@limiter.limit(
    throttle.login_account_limit,
    methods=["POST"],
    scope="verify-account",
    key_func=pending_account_key,
    deduct_when=throttle.login_failed,
)
def verify():
    pending = second_step.pending()
    if pending is None:
        flash("Sign in again: that step has expired.", "info")
        return redirect(url_for("auth.login"))
    form = VerifyForm()
    if not form.validate_on_submit():
        return page(form, pending, 422 if form.is_submitted() else 200)
    if not (form.code.data or form.recovery_code.data):
        form.code.errors.append("Type the code your app shows, or one of your recovery codes.")
        return page(form, pending, 422)
    if _proved(pending, form):
        second_step.clear()
        return finish(pending, form.remember_device.data)
    g.login_failed = True
    which = "code" if form.code.data else "recovery code"
    audit.record("factor.failed", pending.user, target_user=pending.user, detail=which)
    db.session.commit()
    field = form.code if form.code.data else form.recovery_code
    field.errors.append(f"That {which} is not right, or was used already.")
    return page(form, pending, 401)
