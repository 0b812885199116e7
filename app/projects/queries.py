"""Reads for the project pages: a fixed number of queries whatever the number of projects."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, exists, func, or_, select

from app.paging import Page
from app.extensions import db
from app.models import Organization, Project, ProjectAssignee, Role, User
from app.permissions import Action, allowed, can_manage_project, role_of


@dataclass
class Row:
    project: Project
    assignees: list[User] = field(default_factory=list)
    can_manage: bool = False


PER_PAGE = 50
RECENT = 10  # projects on the dashboard


def _visible(user: User, org: Organization | None, role: Role | None) -> Select | None:
    """The projects of a workspace that `user` may see (SPEC §5), as SQL; None for none at all."""
    query = select(Project)
    if org is None:
        return query.where(Project.personal_owner_id == user.id)
    query = query.where(Project.organization_id == org.id)
    if allowed(role, Action.SEE_ALL_PROJECTS):
        return query
    if role is None:
        return None
    assigned = exists().where(ProjectAssignee.project_id == Project.id,
                              ProjectAssignee.user_id == user.id)
    if role is Role.SUPERVISOR:
        assigned = or_(assigned, Project.created_by_id == user.id)
    return query.where(assigned)


def _slice(query: Select | None, order: tuple, limit: int, offset: int = 0
           ) -> tuple[list[Project], int | None]:
    """One slice of `query` and the number of rows in all of it, in one query (a window count);
    the count is None when the slice is empty past the first row (a page beyond the last)."""
    if query is None:
        return [], 0
    rows = db.session.execute(query.add_columns(func.count().over()).order_by(*order)
                              .limit(limit).offset(offset)).all()
    if rows:
        return [project for project, _ in rows], rows[0][1]
    return [], 0 if offset == 0 else None


def page(user: User, org: Organization | None, role: Role | None, number: int,
         per_page: int = PER_PAGE) -> Page:
    """One page of the visible projects, newest first, with assignees: two queries (three on a
    page past the last, which counts on its own)."""
    query = _visible(user, org, role)
    projects, total = _slice(query, (Project.created_at.desc(), Project.id.desc()), per_page,
                             (number - 1) * per_page)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(
            query.order_by(None).subquery()))
    return Page(_rows(user, role, projects), number, per_page, number * per_page < total, total)


def recent(user: User, org: Organization | None, role: Role | None, limit: int = RECENT
           ) -> tuple[list[Row], int]:
    """The most recently updated visible projects and how many are visible in all."""
    projects, total = _slice(_visible(user, org, role),
                             (Project.updated_at.desc(), Project.id.desc()), limit)
    return _rows(user, role, projects), total or 0


def _rows(user: User, role: Role | None, projects: list[Project]) -> list[Row]:
    """Rows with their assignees, fetched in one query keyed by the projects' ids."""
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
