from __future__ import annotations

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app import audit
from app.account import verification
from app.auth import bp, recovery, recovery_link, second_step, services, throttle, web
from app.auth.forms import AnswerForm, ForgotForm, LoginForm, SignupForm, proposed_username
from app.extensions import db, limiter
from app.models import User
from app.sso import accounts as sso_accounts
from app.sso import web as sso_web
from app.urls import local_path
from app.web import attempt


@bp.record_once
def _session_upkeep_first(state) -> None:
    """The first step of every request, ahead of the rate limits and setup's gate too, so that
    the session lookup brings the settings' revision before anything reads a setting."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, web.keep_session_up)


def _form_status(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(
    throttle.signup_ip_limit, methods=["POST"], scope="signup-ip", key_func=throttle.ip_key
)
@limiter.limit(
    throttle.signup_email_limit,
    methods=["POST"],
    scope="signup-email",
    key_func=throttle.signup_email_key,
)
def signup():
    from app import settings

    if not settings.get("registration_open"):
        return render_template("auth/registration_closed.html"), 403
    form = SignupForm()
    target = local_path(request.args.get("next"))
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]  # an invitation's address, say
        form.username.data = proposed_username(form.email.data)
    if not form.validate_on_submit():
        return _signup_page(form, target), _form_status(form)
    done = attempt(_register, form)
    if not done.ok:
        done.flash(form)
        return _signup_page(form, target), done.status
    user, sent = done.value
    flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
    if sent:
        flash(f"We sent a link to {user.email} to verify your address.", "info")
    return redirect(target or url_for("main.dashboard"), 303)


def _signup_page(form: SignupForm, target: str | None) -> str:
    return render_template(
        "auth/signup.html", form=form, questions=services.QUESTIONS, next_path=target
    )


def _register(form: SignupForm) -> tuple[User, bool]:
    user = services.register(
        services.NewAccount(
            email=form.email.data,
            username=form.username.data,
            display_name=form.display_name.data,
            password=form.password.data,
            security_question=form.security_question.data,
            security_answer=form.security_answer.data,
        )
    )
    web.sign_in(user)
    return user, verification.start(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    throttle.login_ip_limit, methods=["POST"], scope="login-ip", key_func=throttle.ip_key
)
@limiter.limit(
    throttle.login_account_limit,
    methods=["POST"],
    scope="login-account",
    key_func=throttle.login_account_key,
    deduct_when=throttle.login_failed,
)
def login():
    target = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("main.dashboard"))
    form = LoginForm()
    if request.method == "GET" and request.args.get("login"):
        form.login.data = request.args["login"][:254]  # "Sign in now" after a recovery
    if not form.validate_on_submit():
        page = render_template("auth/login.html", form=form, next_path=target)
        return page, _form_status(form)
    if sso_accounts.password_refused(form.login.data) is not None:
        page = render_template("sso/required.html", next_path=target)
        return page, 403
    user = services.authenticate(form.login.data, form.password.data)
    if user is None:
        db.session.commit()
        g.login_failed = True
        page = render_template(
            "auth/login.html", form=form, failed=services.FAILED, next_path=target
        )
        return page, 401
    if second_step.needed(user):  # nothing is signed in before the second factor
        db.session.commit()  # the failure counter's reset
        second_step.begin(user, remember=form.remember.data, target=target)
        return redirect(url_for("auth.verify"), 303)
    pending = sso_web.pending_link()  # read before sign_in clears the cookie session
    web.sign_in(user, remember=form.remember.data)
    done = attempt(sso_web.complete_link, user, pending)
    if not done.ok:
        flash("That identity is already linked to another account.", "error")
    flash(f"Signed in as {user.username}.", "success")
    return redirect(target or url_for("main.dashboard"), 303)


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    web.sign_out()
    audit.record("logout", user, target_user=user)
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(
    throttle.forgot_ip_limit, methods=["POST"], scope="forgot-ip", key_func=throttle.ip_key
)
@limiter.limit(
    throttle.forgot_account_limit,
    methods=["POST"],
    scope="forgot-account",
    key_func=throttle.login_account_key,
)
def forgot():
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), _form_status(form)
    if recovery_link.required():  # mail a single-use link first; it opens the question
        return recovery_link.start(form.login.data)
    session["recover"] = form.login.data
    return redirect(url_for("auth.forgot_answer"), 303)


@bp.route("/forgot/answer", methods=["GET", "POST"])
@limiter.limit(
    throttle.recovery_ip_limit, methods=["POST"], scope="recovery-ip", key_func=throttle.ip_key
)
def forgot_answer():
    login = session.get("recover")
    if not isinstance(login, str):
        return redirect(url_for("auth.forgot"))
    if recovery_link.required() and not recovery_link.verified(login):
        return redirect(url_for("auth.forgot"))
    form = AnswerForm()
    question = recovery.recovery_question(login)
    if not form.validate_on_submit():
        return render_template(
            "auth/answer.html", form=form, question=question, login=login
        ), _form_status(form)
    result = recovery.answer_question(login, form.answer.data)
    db.session.commit()
    if result is None:
        form.answer.errors.append(recovery.wrong_answer_message())
        return render_template("auth/answer.html", form=form, question=question, login=login), 422
    user, temporary = result
    session.pop("recover", None)
    session.pop(recovery_link.SESSION_KEY, None)
    g.no_store = True
    response = render_template("auth/temporary.html", user=user, temporary=temporary)
    return response, 200, {"Referrer-Policy": "no-referrer"}
