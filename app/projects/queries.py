"""Reads for the project pages: a fixed number of queries whatever the number of projects."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select

from app.extensions import db
from app.models import Organization, Project, ProjectAssignee, Role, User
from app.permissions import Action, allowed, can_manage_project, role_of


@dataclass
class Row:
    project: Project
    assignees: list[User] = field(default_factory=list)
    can_manage: bool = False


def visible(user: User, org: Organization | None, role: Role | None) -> list[Row]:
    """The projects of a workspace that `user` may see (SPEC §5), with assignees: two queries."""
    query = select(Project).order_by(Project.name, Project.id)
    if org is None:
        query = query.where(Project.personal_owner_id == user.id)
    else:
        query = query.where(Project.organization_id == org.id)
        if not allowed(role, Action.SEE_ALL_PROJECTS):
            if role is None:
                return []
            assigned = exists().where(ProjectAssignee.project_id == Project.id,
                                      ProjectAssignee.user_id == user.id)
            if role is Role.SUPERVISOR:
                assigned = or_(assigned, Project.created_by_id == user.id)
            query = query.where(assigned)
    projects = list(db.session.scalars(query))
    rows = {p.id: Row(p, can_manage=can_manage_project(user, p, role)) for p in projects}
    if rows:
        for project_id, person in db.session.execute(
                select(ProjectAssignee.project_id, User).join(User, User.id ==
                                                              ProjectAssignee.user_id)
                .where(ProjectAssignee.project_id.in_(rows)).order_by(User.display_name)):
            rows[project_id].assignees.append(person)
    return list(rows.values())


def one(user: User, project: Project) -> Row:
    role = None
    if project.organization_id is not None:
        role = role_of(user, db.session.get(Organization, project.organization_id))
    assignees = list(db.session.scalars(
        select(User).join(ProjectAssignee, ProjectAssignee.user_id == User.id)
        .where(ProjectAssignee.project_id == project.id).order_by(User.display_name)))
    return Row(project, assignees, can_manage_project(user, project, role))


def assignee_ids(project: Project) -> set[int]:
    return set(db.session.scalars(select(ProjectAssignee.user_id)
                                  .where(ProjectAssignee.project_id == project.id)))
