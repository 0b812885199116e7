from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app import mail
from app.account import bp, services
from app.account.forms import ChangePasswordForm, ProfileForm, SecurityQuestionForm
from app.auth import sessions, web
from app.auth.services import QUESTIONS
from app.errors import DomainError
from app.extensions import db


def _status(form) -> int:
    return 422 if form.is_submitted() else 200


def _refuse(form, field, exc: DomainError) -> None:
    db.session.rollback()
    field.errors.append(str(exc))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    page = "account/password.html"
    if not form.validate_on_submit():
        return render_template(page, form=form), _status(form)
    user = current_user._get_current_object()
    try:
        services.change_password(user, form.current_password.data, form.new_password.data,
                                 keep=web.current_session())
        web.rotate(user)
        db.session.commit()
    except DomainError as exc:
        wrong = isinstance(exc, services.WrongPassword)
        _refuse(form, form.current_password if wrong else form.new_password, exc)
        return render_template(page, form=form), 422
    mail.notify_security_change(user, "Your password was changed.")
    flash("Your password has been changed. Other devices have been signed out.", "success")
    return redirect(url_for("main.dashboard"), 303)


@bp.route("", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if not form.validate_on_submit():
        return render_template("account/profile.html", form=form), _status(form)
    try:
        services.update_profile(user, form.display_name.data, form.email.data,
                                form.current_password.data)
        db.session.commit()
    except DomainError as exc:
        wrong = isinstance(exc, services.WrongPassword)
        _refuse(form, form.current_password if wrong else form.email, exc)
        return render_template("account/profile.html", form=form), 422
    flash("Your profile has been saved.", "success")
    return redirect(url_for(".profile"), 303)


@bp.route("/security-question", methods=["GET", "POST"])
@login_required
def security_question():
    user = current_user._get_current_object()
    form = SecurityQuestionForm(security_question=user.security_question)
    page = "account/security_question.html"
    if not form.validate_on_submit():
        return render_template(page, form=form, questions=QUESTIONS), _status(form)
    try:
        services.change_question(user, form.current_password.data,
                                 form.security_question.data, form.security_answer.data)
        db.session.commit()
    except DomainError as exc:
        _refuse(form, form.current_password, exc)
        return render_template(page, form=form, questions=QUESTIONS), 422
    flash("Your security question has been changed.", "success")
    return redirect(url_for(".profile"), 303)


@bp.get("/sessions")
@login_required
def session_list():
    records = sessions.live_for(current_user._get_current_object())
    db.session.commit()
    return render_template("account/sessions.html", records=records,
                           current=web.current_session())


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
    count = services.revoke_other_sessions(current_user._get_current_object(),
                                           keep=web.current_session())
    db.session.commit()
    flash(f"Signed out {count} other session(s).", "success")
    return redirect(url_for(".session_list"), 303)
