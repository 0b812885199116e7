from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter
from app.main import bp


@bp.get("/")
@login_required
def dashboard():
    """The current workspace at a glance: its recent projects, what the person may start there,
    and invitations waiting for an answer (app/main/queries.py: one query for the common case)."""
    from app.auth.web import current_session
    from app.main import queries
    from app.orgs import workspace
    from app.permissions import Action, allowed

    user = current_user._get_current_object()
    org, role = workspace.here(user, current_session())
    found = queries.dashboard(user, org, role)
    return render_template(
        "main/dashboard.html",
        user=user,
        workspace_org=org,
        role=role,
        projects=found.rows,
        projects_total=found.total,
        invitations=found.invitations,
        can_create=org is None or allowed(role, Action.CREATE_PROJECT),
        can_invite=allowed(role, Action.INVITE),
        organizations=workspace.memberships(user),
    )


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.scalar(select(literal(1)))
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "unavailable", "database": "down"}, 503
    return {"status": "ok", "database": "up"}, 200
