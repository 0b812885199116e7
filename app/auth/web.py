"""The glue between session records, Flask's cookie session and Flask-Login."""

from __future__ import annotations

from flask import g, request, session
from flask_login import login_user, logout_user

from app.auth import sessions
from app.extensions import login_manager
from app.models import User, UserSession


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    from app.orgs import workspace

    token = session.get("sid")
    # The layout's workspaces and plans come in the same statement as the session record.
    record = sessions.load(token, workspace.PRELOAD) if isinstance(token, str) else None
    if record is None or str(record.user_id) != user_id or record.user.is_disabled:
        session.clear()
        return None
    g.user_session = record
    return record.user


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
    """New record and cookie for the same person, e.g. after a privilege change."""
    old = current_session()
    remember = bool(old and old.remember)
    workspace = old.workspace_org_id if old else None
    if old is not None:
        sessions.end(old, reason="rotated")
    record = sign_in(user, remember)
    record.workspace_org_id = workspace
    return record


def sign_out() -> None:
    record = current_session()
    if record is not None:
        sessions.end(record, reason="logout")
    logout_user()
    session.clear()
