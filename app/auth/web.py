"""The glue between session records, Flask's cookie session and Flask-Login."""

from __future__ import annotations

from flask import g, request, session
from flask_login import current_user, login_user, logout_user

from app.api import bearer
from app.auth import sessions
from app.extensions import login_manager
from app.models import User, UserSession
from app.transactions import write_transaction


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: it only reads. What a request must write about its session (ending
    an expired one, last seen, a new session id after a privilege change) is `keep_session_up`."""
    from app.orgs import workspace

    token = session.get("sid")
    # The layout's workspaces and plans come in the same statement as the session record.
    found = sessions.find(token, workspace.PRELOAD) if isinstance(token, str) else None
    if found is None or str(found.record.user_id) != user_id or found.record.user.is_disabled:
        session.clear()
        return None
    if sessions.needs_upkeep(found):
        g.session_upkeep = found
    if not found.live:
        session.clear()
        return None
    g.user_session = found.record
    return found.record.user


def keep_session_up() -> None:
    """Before each request, an explicit step: the session's bookkeeping, in a write transaction
    of its own on a page that only reads (app/transactions.py), in the request's on a POST.

    - an expired record is ended (the request goes on signed out);
    - a record begun before the person's last privilege change is replaced by a new one with a
      new cookie (SECURITY 21): the old cookie stops working, the person stays signed in;
    - otherwise last seen moves on, at most once a minute.

    The API and SCIM never look at the cookie: a token is their only credential.
    """
    if bearer.is_machine_request():
        return
    if "sid" in session:
        current_user._get_current_object()  # runs the loader, if nothing before did
    # The loader may have run earlier in the request (a rate limit's key) and cleared an
    # expired session's cookie; what it found is kept on g either way.
    found: sessions.Found | None = g.pop("session_upkeep", None)
    if found is None:
        return
    record = found.record
    g.session_upkeep_running = True  # what it runs depends on the clock (tests count apart)
    try:
        with write_transaction():
            if not found.live:
                sessions.end(record, reason="expired")
            elif record.privilege_epoch != record.user.privilege_epoch:
                # Two requests may race here with the old cookie: one ends the record and
                # sends the new cookie; the other goes on with the old one this once.
                if sessions.end(record, reason="rotated"):
                    _again(record.user, record)
            else:
                sessions.touch(record)
    finally:
        g.session_upkeep_running = False


def current_session() -> UserSession | None:
    return g.get("user_session")


def sign_in(user: User, remember: bool = False) -> UserSession:
    """Start a new record and a new cookie; the caller commits."""
    record, token = sessions.start(
        user, remember=remember, ip=request.remote_addr, user_agent=request.user_agent.string
    )
    session.clear()
    session["sid"] = token
    session.permanent = remember
    login_user(user)
    g.user_session = record
    return record


def rotate(user: User) -> UserSession:
    """New record and cookie for the same person, e.g. after a password change."""
    old = current_session()
    if old is not None:
        sessions.end(old, reason="rotated")
    return _again(user, old)


def _again(user: User, old: UserSession | None) -> UserSession:
    flashes = session.get("_flashes")  # messages of the request that changed things survive
    record = sign_in(user, bool(old and old.remember))
    if flashes:
        session["_flashes"] = flashes
    record.workspace_org_id = old.workspace_org_id if old else None
    return record


def sign_out() -> None:
    record = current_session()
    if record is not None:
        sessions.end(record, reason="logout")
    logout_user()
    session.clear()
