"""Reads for the project pages: a fixed number of queries whatever the number of projects."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select

from app.extensions import db
from app.models import Organization, Project, ProjectAssignee, Role, User
from app.paging import Page
from app.permissions import Action, allowed, can_manage_project, role_of


@dataclass
class Row:
    project: Project
    assignees: list[User] = field(default_factory=list)
    can_manage: bool = False


PER_PAGE = 50
RECENT = 10  # projects on the dashboard


_ORDERS = {
    "created": (Project.created_at.desc(), Project.id.desc()),  # the project list
    "updated": (Project.updated_at.desc(), Project.id.desc()),  # the dashboard
}


def visibility(user: User, org: Organization | None, role: Role | None) -> tuple[str, dict] | None:
    """Which projects of a workspace `user` may see (SPEC §5): the kind of query, and its
    parameters; None for none at all."""
    if org is None:
        return "personal", {"user_id": user.id}
    params = {"user_id": user.id, "org_id": org.id}
    if allowed(role, Action.SEE_ALL_PROJECTS):
        return "all", params
    if role is None:
        return None
    return ("supervised" if role is Role.SUPERVISOR else "assigned"), params


@functools.cache
def visible_condition(kind: str) -> ColumnElement[bool]:
    """The visible projects of a kind as a condition on Project, the person and organization
    as bound parameters: a WHERE for the lists, an ON for the dashboard's outer join."""
    if kind == "personal":
        return Project.personal_owner_id == bindparam("user_id")
    return _seen_in(kind, Project.organization_id == bindparam("org_id"))


def _seen_in(kind: str, in_org: ColumnElement[bool]) -> ColumnElement[bool]:
    """The projects of a kind of organization workspace: `in_org` says which organizations."""
    if kind == "all":
        return in_org
    assigned: ColumnElement[bool] = exists().where(
        ProjectAssignee.project_id == Project.id, ProjectAssignee.user_id == bindparam("user_id")
    )
    if kind == "supervised":
        assigned = or_(assigned, Project.created_by_id == bindparam("user_id"))
    return and_(in_org, assigned)


def visible_anywhere(user: User, roles: dict[Organization, Role]) -> ColumnElement[bool]:
    """Every project `user` may see, in their personal workspace and in each organization of
    `roles` (their organizations with their role), as one condition on Project with the
    person as the bound parameter `user_id`; organizations are grouped by what the role lets
    one see, so it stays one statement however many there are."""
    by_kind: dict[str, list[int]] = {}
    for org, role in roles.items():
        found = visibility(user, org, role)
        if found is not None:
            by_kind.setdefault(found[0], []).append(org.id)
    return or_(
        visible_condition("personal"),
        *(
            _seen_in(kind, Project.organization_id.in_(ids))
            for kind, ids in sorted(by_kind.items())
        ),
    )


@functools.cache
def _visible_query(kind: str) -> Select:
    """The visible projects as SQL, the person and organization as bound parameters."""
    return select(Project).where(visible_condition(kind))


@functools.cache
def _slice_query(kind: str, order: str) -> Select:
    """One slice of the visible projects with the number of them all (a window count).

    Built once per kind and order: on the dashboard, building the statement and its cache key
    cost more Python than running it."""
    return (
        _visible_query(kind)
        .add_columns(func.count().over())
        .order_by(*_ORDERS[order])
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _count(visible: tuple[str, dict] | None) -> int:
    if visible is None:
        return 0
    kind, params = visible
    query = select(func.count()).select_from(_visible_query(kind).subquery())
    return db.session.scalars(query, params).one()


def _slice(
    visible: tuple[str, dict] | None, order: str, limit: int, offset: int = 0
) -> tuple[list[Project], int | None]:
    """One slice of the visible projects and the number of them all, in one query; the count
    is None when the slice is empty past the first row (a page beyond the last)."""
    if visible is None:
        return [], 0
    kind, params = visible
    rows = db.session.execute(
        _slice_query(kind, order), {**params, "limit": limit, "offset": offset}
    ).all()
    if rows:
        return [project for project, _ in rows], rows[0][1]
    return [], 0 if offset == 0 else None


def page(
    user: User, org: Organization | None, role: Role | None, number: int, per_page: int = PER_PAGE
) -> Page:
    """One page of the visible projects, newest first, with assignees: two queries (three on a
    page past the last, which counts on its own)."""
    visible = visibility(user, org, role)
    projects, total = _slice(visible, "created", per_page, (number - 1) * per_page)
    if total is None:  # a page past the last: count on its own
        total = _count(visible)
    rows = with_assignees(user, role, projects)
    return Page(rows, number, per_page, number * per_page < total, total)


def recent(
    user: User, org: Organization | None, role: Role | None, limit: int = RECENT
) -> tuple[list[Row], int]:
    """The most recently updated visible projects and how many are visible in all."""
    projects, total = _slice(visibility(user, org, role), "updated", limit)
    return with_assignees(user, role, projects), total or 0


def with_assignees(user: User, role: Role | None, projects: list[Project]) -> list[Row]:
    """Rows with their assignees, fetched in one query keyed by the projects' ids."""
    rows = {p.id: Row(p, can_manage=can_manage_project(user, p, role)) for p in projects}
    if rows:
        for project_id, person in db.session.execute(
            select(ProjectAssignee.project_id, User)
            .join(User, User.id == ProjectAssignee.user_id)
            .where(ProjectAssignee.project_id.in_(rows))
            .order_by(User.display_name)
        ):
            rows[project_id].assignees.append(person)
    return list(rows.values())


def one(user: User, project: Project) -> Row:
    role = None
    if project.organization_id is not None:
        role = role_of(user, db.session.get_one(Organization, project.organization_id))
    assignees = list(
        db.session.scalars(
            select(User)
            .join(ProjectAssignee, ProjectAssignee.user_id == User.id)
            .where(ProjectAssignee.project_id == project.id)
            .order_by(User.display_name)
        )
    )
    return Row(project, assignees, can_manage_project(user, project, role))


def assignee_ids(project: Project) -> set[int]:
    return set(
        db.session.scalars(
            select(ProjectAssignee.user_id).where(ProjectAssignee.project_id == project.id)
        )
    )
