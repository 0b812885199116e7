from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from app import mail, tokens
from app.account import bp, services, verification
from app.account.forms import (
    ChangePasswordForm,
    FirstPasswordForm,
    ProfileForm,
    SecurityQuestionForm,
    TokenForm,
)
from app.auth import devices, sessions, setup, web
from app.auth.services import QUESTIONS
from app.errors import render_error
from app.extensions import db
from app.formatting import counted
from app.web import attempt


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    reason = setup.password_reason(user)
    form = FirstPasswordForm() if reason is setup.Reason.NEW_ACCOUNT else ChangePasswordForm()

    def page(status: int):
        html = render_template(
            "account/password.html", form=form, reason=reason, questions=QUESTIONS
        )
        return html, status

    if not form.validate_on_submit():
        return page(_status(form))
    after = setup.finished(keep=True) if reason else url_for("main.dashboard")

    def change() -> None:
        services.change_password(
            user,
            form.current_password.data,
            form.new_password.data,
            keep=web.current_session(),
            revoke_tokens=bool(form.revoke_tokens.data),
        )
        if isinstance(form, FirstPasswordForm):
            services.set_question(user, form.security_question.data, form.security_answer.data)
        web.rotate(user)

    done = attempt(change)
    if not done.ok:
        done.flash(form)
        return page(done.status)
    if reason is setup.Reason.NEW_ACCOUNT:
        flash("Your password and security question are set. Welcome!", "success")
    else:
        flash("Your password has been changed. Other devices have been signed out.", "success")
    return redirect(after, 303)  # the rotation cleared the rest of the cookie session


def _profile_page(form=None, status: int = 200, error: str | None = None):
    return render_template(
        "account/profile.html",
        form=form or ProfileForm(obj=current_user, formdata=None),
        error=error,
        mail_configured=mail.configured(),
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if not form.validate_on_submit():
        return _profile_page(form, _status(form))

    def save() -> bool:
        changed = services.update_profile(
            user, form.display_name.data, form.email.data, form.current_password.data
        )
        return changed and verification.start(user)

    done = attempt(save)
    if not done.ok:
        done.flash(form)
        return _profile_page(form, done.status)
    flash("Your profile has been saved.", "success")
    if done.value:
        flash(f"We sent a verification link to {user.email}.", "info")
    return redirect(url_for(".profile"), 303)


@bp.post("/verify-email/resend")
@login_required
def resend_verification():
    user = current_user._get_current_object()
    done = attempt(verification.resend, user)
    if not done.ok:
        return _profile_page(status=done.status, error=done.message)
    flash(f"We sent a new verification link to {user.email}.", "success")
    return redirect(url_for(".profile"), 303)


@bp.get("/verify-email/<token>")
@login_required
def verify_email(token: str):
    """Shows a button only: a GET never verifies (mail scanners open links too)."""
    g.no_store = True
    if not verification.is_live(current_user, token):
        return render_error(404, verification.INVALID)
    return (
        render_template("account/verify_email.html", token=token),
        200,
        {"Referrer-Policy": "no-referrer"},
    )


@bp.post("/verify-email/<token>")
@login_required
def confirm_email(token: str):
    done = attempt(verification.confirm, current_user._get_current_object(), token)
    if not done.ok:
        return render_error(done.status, done.message)
    flash("Your email address is verified.", "success")
    return redirect(url_for(".profile"), 303)


@bp.route("/security-question", methods=["GET", "POST"])
@login_required
def security_question():
    user = current_user._get_current_object()
    forced = setup.needs_question(user)
    form = SecurityQuestionForm(security_question=user.security_question)

    def page(status: int):
        html = render_template(
            "account/security_question.html", form=form, questions=QUESTIONS, forced=forced
        )
        return html, status

    if not form.validate_on_submit():
        return page(_status(form))
    done = attempt(
        services.change_question,
        user,
        form.current_password.data,
        form.security_question.data,
        form.security_answer.data,
    )
    if not done.ok:
        done.flash(form)
        return page(done.status)
    if forced:
        flash("Your security question is set.", "success")
        return redirect(setup.finished(), 303)
    flash("Your security question has been changed.", "success")
    return redirect(url_for(".profile"), 303)


@bp.get("/sessions")
@login_required
def session_list():
    user = current_user._get_current_object()
    records = sessions.live_for(user)
    db.session.commit()
    return render_template(
        "account/sessions.html",
        records=records,
        current=web.current_session(),
        devices=devices.devices_of(user),
    )


@bp.post("/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id: int):
    if not services.revoke_own_session(current_user._get_current_object(), session_id):
        abort(404)
    db.session.commit()
    flash("That session has been signed out.", "success")
    return redirect(url_for(".session_list"), 303)


@bp.post("/sessions/revoke-others")
@login_required
def revoke_others():
    count = services.revoke_other_sessions(
        current_user._get_current_object(), keep=web.current_session()
    )
    db.session.commit()
    flash(f"Signed out {counted(count, 'other session')}.", "success")
    return redirect(url_for(".session_list"), 303)


def _tokens_page(form: TokenForm, status: int = 200, new_token: str | None = None):
    user = current_user._get_current_object()
    html = render_template(
        "account/tokens.html", form=form, records=tokens.tokens_of(user), new_token=new_token
    )
    if new_token is None:
        return html, status
    g.no_store = True  # the secret is on this page only: never cached, never referred
    return html, status, {"Referrer-Policy": "no-referrer"}


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def token_list():
    user = current_user._get_current_object()
    form = TokenForm().offer(tokens.scopes_for(user))
    if not form.validate_on_submit():
        return _tokens_page(form, _status(form))
    done = attempt(tokens.issue, user, form.name.data, form.expires_in_days.data, form.scopes.data)
    if not done.ok:
        done.flash(form)
        return _tokens_page(form, done.status)
    flash(f"Created the token {done.value[0].name}. Copy it now: it is shown only once.", "success")
    return _tokens_page(TokenForm(formdata=None).offer(tokens.scopes_for(user)), 200, done.value[1])


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    done = attempt(tokens.revoke, current_user._get_current_object(), token_id).flash()
    if done.ok:
        flash(f"Revoked the token {done.value.name}.", "success")
    return redirect(url_for(".token_list"), 303)
