"""What a signed-in person must do before anything else, and the gate that holds them to it.

Two steps, each one page: their own password when someone else chose the current one (the
temporary password of a recovery, a password an administrator set, the default admin's), and
a security question when the account has none (an administrator created it). A person who
needs both does both on the password page. Until done, only that page, sign-out and static
files answer; the page they were heading for is kept and opened afterwards.
"""

from __future__ import annotations

from enum import StrEnum

from flask import redirect, request, session, url_for
from flask_login import current_user

from app.api.bearer import is_machine_request
from app.auth import bp
from app.models import User
from app.urls import local_path

ALWAYS_OPEN = {"auth.logout", "static", "main.healthz"}
PASSWORD_PAGE = "account.change_password"
QUESTION_PAGE = "account.security_question"
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
    return QUESTION_PAGE if needs_question(user) else None


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
    if page is None or request.endpoint == page:
        return None
    if request.method == "GET":
        session[AFTER_SETUP] = request.full_path if request.query_string else request.path
    return redirect(url_for(page))


def finished(keep: bool = False) -> str:
    """Where to go once the last step is done: the page the person was heading for. `keep`
    leaves it in the session (read it before a sign-in rotation, which clears the session)."""
    target = session.get(AFTER_SETUP) if keep else session.pop(AFTER_SETUP, None)
    return local_path(target) or url_for("main.dashboard")
