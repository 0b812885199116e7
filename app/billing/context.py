"""The grace banner on the current workspace's pages, computed before the template renders."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from app.billing import bp, plans


@bp.app_context_processor
def grace_banner() -> dict:
    """{"grace_notice": (workspace name, end date) or None} for the page being rendered."""
    if g.get("skip_db"):
        return {"grace_notice": None}
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False) or user.must_change_password:
        return {"grace_notice": None}
    if "grace_notice" not in g:
        g.grace_notice = _notice(user)
    return {"grace_notice": g.grace_notice}


def _notice(user):
    from app.auth import web
    from app.orgs import workspace

    record = web.current_session()
    choice = workspace.current(user, record)
    state = plans.state_of(workspace.subscription_here(user, record))
    if not state.in_grace:
        return None
    return (choice.org.name if choice else "Your personal workspace", state.grace_until)
