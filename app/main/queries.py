"""The dashboard's reads: its recent projects and the number of invitations waiting for the
person, in one statement. The dashboard is the page everyone opens most (bench/http measures
it), so a person without pending invitations costs no query for them; the names of the
inviting organizations are read only when there is something to show.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import Row, Select, bindparam, func, literal, select

from app.extensions import db, utcnow
from app.models import Invitation, Organization, Project, Role, User
from app.models.user import name_key
from app.orgs import queries as orgs
from app.projects import queries as projects

RECENT = projects.RECENT


@dataclass
class Dashboard:
    rows: list[projects.Row]
    total: int
    invitations: list[Row] = field(default_factory=list)


@functools.cache
def _waiting_count():
    return (
        select(func.count())
        .select_from(Invitation)
        .where(
            Invitation.email_key == bindparam("email_key"),
            Invitation.accepted_at.is_(None),
            Invitation.declined_at.is_(None),
            Invitation.expires_at > bindparam("now", type_=Invitation.expires_at.type),
        )
        .scalar_subquery()
    )


@functools.cache
def _query(kind: str) -> Select:
    """The most recently updated visible projects, how many are visible, and how many
    invitations wait. One row at least: the projects are outer-joined to a single row, so the
    invitation count arrives even when there are no projects (the project is then None)."""
    anchor = select(literal(1).label("one")).subquery("anchor")
    return (
        select(Project, func.count(Project.id).over(), _waiting_count())
        .select_from(anchor)
        .outerjoin(Project, projects.visible_condition(kind))
        .order_by(Project.updated_at.desc(), Project.id.desc())
        .limit(RECENT)
    )


def dashboard(user: User, org: Organization | None, role: Role | None) -> Dashboard:
    """Two queries when invitations wait (three with assignees to show), else one or two."""
    visible = projects.visibility(user, org, role)
    if visible is None:  # not a member after all: nothing to show but the invitations
        return Dashboard([], 0, orgs.waiting_for(user))
    kind, params = visible
    params = {**params, "email_key": name_key(user.email or ""), "now": utcnow()}
    found = db.session.execute(_query(kind), params).all()
    recent = [project for project, *_ in found if project is not None]
    _, total, waiting = found[0]
    return Dashboard(
        projects.with_assignees(user, role, recent),
        total,
        orgs.waiting_for(user) if waiting else [],
    )
