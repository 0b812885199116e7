"""What a signed-in person must do before anything else, and the gate that holds them to it.

Three steps: their own password when someone else chose the current one (the temporary
password of a recovery, a password an administrator set, the default admin's); a security
question when the account has none (an administrator created it); a second factor when one is
required and the grace period is over (app/auth/enforcement.py). A person who needs the first
two does both on the password page. Until done, only that step's pages, sign-out and static
files answer; the page they were heading for is kept and opened afterwards.
"""

from __future__ import annotations

from enum import StrEnum

from flask import redirect, request, session, url_for
from flask_login import current_user

from app.api.bearer import is_machine_request
from app.auth import bp, enforcement
from app.models import User
from app.urls import local_path

ALWAYS_OPEN = {"auth.logout", "static", "main.healthz"}
PASSWORD_PAGE = "account.change_password"
QUESTION_PAGE = "account.security_question"
FACTOR_PAGE = "account.security"
AFTER_SETUP = "after_setup"  # Flask session: where the person was going


class Reason(StrEnum):
    """Why the password page is forced, for its wording."""

    RECOVERY = "recovery"  # signed in with the temporary password of a recovery
    ASSIGNED = "assigned"  # the password was set by an administrator or at installation
    NEW_ACCOUNT = "new account"  # assigned, and no security question yet


def needs_question(user: User) -> bool:
    """An account without a recovery question, other than an administrator's.

    Administrators are not made to add one: answering a question is the weakest way into the
    most powerful accounts, and another administrator (or `flask create-admin`) can reset
    theirs. They may still choose one on their account page. Nor are accounts a single sign-on
    made (no password anyone knows): their identity provider is their recovery.
    """
    return user.security_answer_hash is None and not user.is_admin and user.password_set


def password_reason(user: User) -> Reason | None:
    if not user.must_change_password:
        return None
    if needs_question(user):
        return Reason.NEW_ACCOUNT
    return Reason.RECOVERY if user.temp_password_hash else Reason.ASSIGNED


def pending_page(user: User) -> str | None:
    """The endpoint the person must complete next, or None when nothing is pending."""
    if user.must_change_password:
        return PASSWORD_PAGE
    if needs_question(user):
        return QUESTION_PAGE
    return FACTOR_PAGE if enforcement.enrollment_due(user) else None


def _step_of(endpoint: str, page: str) -> bool:
    """Whether `endpoint` belongs to the pending step: enrolling a factor takes several forms
    (the app, its confirmation, passkeys)."""
    if page == FACTOR_PAGE:
        return endpoint.startswith(("account.security", "account.passkey")) or endpoint in {
            "account.begin_app",
            "account.confirm_app",
            "account.regenerate_codes",
        }
    return endpoint == page


@bp.app_context_processor
def setup_context() -> dict:
    """`account_setup_pending()` for the layout: hide the navigation while a step is pending
    (templates/base.html and _user_menu.html)."""

    user = current_user._get_current_object()

    def pending() -> bool:
        return bool(user.is_authenticated and pending_page(user))

    return {"account_setup_pending": pending}


@bp.before_app_request
def require_account_setup():
    if request.endpoint is None or request.endpoint in ALWAYS_OPEN or is_machine_request():
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return None
    page = pending_page(user)
    if page is None or _step_of(request.endpoint, page):
        return None
    if request.method == "GET":
        session[AFTER_SETUP] = request.full_path if request.query_string else request.path
    return redirect(url_for(page))


def finished(keep: bool = False) -> str:
    """Where to go once the last step is done: the page the person was heading for. `keep`
    leaves it in the session (read it before a sign-in rotation, which clears the session)."""
    target = session.get(AFTER_SETUP) if keep else session.pop(AFTER_SETUP, None)
    return local_path(target) or url_for("main.dashboard")
