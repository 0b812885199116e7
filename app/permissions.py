"""The organization role matrix of SPEC §5, as data, and the one function that enforces it.

Routes, services and templates ask `can()` / `require()`; nobody re-derives a rule elsewhere.
A person outside an organization is told nothing exists (NotFound, a 404 page); a member whose
role lacks the right gets Forbidden (a 403 page). Administrators may view any organization.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from sqlalchemy import select

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Membership, Organization, Project, ProjectAssignee, Role, User

log = logging.getLogger("gatehouse.permissions")

O, M, S, W = Role.OWNER, Role.MAINTAINER, Role.SUPERVISOR, Role.WORKER  # noqa: E741
NOT_OWNER = frozenset({M, S, W})
STAFF = frozenset({S, W})


class Action(StrEnum):
    VIEW_ORG = "view the organization"
    EDIT_ORG = "edit the organization"
    INVITE = "invite, resend or remove invitations"  # target_role: the invitation's role
    CHANGE_ROLE = "change a member's role"  # target_role: current AND new role
    REMOVE_MEMBER = "remove a member"  # target_role: the member's role
    LEAVE = "leave the organization"
    TRANSFER_OWNERSHIP = "transfer ownership"
    DELETE_ORG = "delete the organization"
    SEE_ALL_PROJECTS = "see every project"
    CREATE_PROJECT = "create projects"
    MANAGE_ANY_PROJECT = "edit, assign, delete or transfer any project"
    MANAGE_OWN_PROJECT = "edit, assign, delete or transfer projects they created"
    MANAGE_SUBSCRIPTION = "manage the subscription"
    REQUIRE_2FA = "require a second factor of members"


# action -> {role allowed: the target roles it may act on, or None when the action has no target}
MATRIX: dict[Action, dict[Role, frozenset[Role] | None]] = {
    Action.VIEW_ORG: {O: None, M: None, S: None, W: None},
    Action.EDIT_ORG: {O: None, M: None},
    Action.INVITE: {O: NOT_OWNER, M: STAFF},
    Action.CHANGE_ROLE: {O: NOT_OWNER, M: STAFF},
    Action.REMOVE_MEMBER: {O: NOT_OWNER, M: STAFF},
    Action.LEAVE: {M: None, S: None, W: None},
    Action.TRANSFER_OWNERSHIP: {O: None},
    Action.DELETE_ORG: {O: None},
    Action.SEE_ALL_PROJECTS: {O: None, M: None},
    Action.CREATE_PROJECT: {O: None, M: None, S: None},
    Action.MANAGE_ANY_PROJECT: {O: None, M: None},
    Action.MANAGE_OWN_PROJECT: {O: None, M: None, S: None},
    Action.MANAGE_SUBSCRIPTION: {O: None},
    Action.REQUIRE_2FA: {O: None},
}
ASSIGNABLE_BY = {role: targets for role, targets in MATRIX[Action.INVITE].items()}


def role_of(user: User, org: Organization) -> Role | None:
    """The user's role in `org`, or None for an outsider."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    role = db.session.scalar(
        select(Membership.role).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    return Role(role) if role else None


def allowed(role: Role | None, action: Action, target_role: Role | None = None) -> bool:
    """The matrix cell itself, for a known role."""
    if role is None or role not in MATRIX[action]:
        return False
    targets = MATRIX[action][role]
    return targets is None or target_role is None or target_role in targets


def can(
    user: User,
    org: Organization,
    action: Action,
    *,
    target_role: Role | None = None,
    role: Role | None = None,
) -> bool:
    role = role if role is not None else role_of(user, org)
    if role is None:
        return action is Action.VIEW_ORG and bool(getattr(user, "is_admin", False))
    return allowed(role, action, target_role)


def require(
    user: User, org: Organization, action: Action, *, target_role: Role | None = None
) -> Role | None:
    """The actor's role when the matrix allows the action; NotFound or Forbidden otherwise."""
    role = role_of(user, org)
    if role is None and not getattr(user, "is_admin", False):
        log.warning("refused: user=%s is outside org=%s (%s)", _name(user), org.slug, action)
        raise NotFound("Not found.")
    if can(user, org, action, target_role=target_role, role=role):
        return role
    log.warning(
        "refused: user=%s role=%s org=%s action=%s target=%s",
        _name(user),
        role,
        org.slug,
        action.name,
        target_role,
    )
    raise Forbidden(
        f"Your role in {org.name} does not allow you to {action.value}"
        + (f" for the role {target_role}." if target_role else ".")
    )


def _name(user) -> str:
    return getattr(user, "username", None) or "anonymous"


# Projects -------------------------------------------------------------------------------------


def _is_assigned(user: User, project: Project) -> bool:
    return (
        db.session.scalar(
            select(ProjectAssignee.user_id).where(
                ProjectAssignee.project_id == project.id, ProjectAssignee.user_id == user.id
            )
        )
        is not None
    )


def can_see_project(user: User, project: Project, role: Role | None) -> bool:
    if project.organization_id is None:
        return project.personal_owner_id == user.id
    if allowed(role, Action.SEE_ALL_PROJECTS):
        return True
    if role is S and project.created_by_id == user.id:
        return True
    return role is not None and _is_assigned(user, project)


def can_manage_project(user: User, project: Project, role: Role | None) -> bool:
    if project.organization_id is None:
        return project.personal_owner_id == user.id
    if allowed(role, Action.MANAGE_ANY_PROJECT):
        return True
    return allowed(role, Action.MANAGE_OWN_PROJECT) and project.created_by_id == user.id


def require_project(user: User, project: Project | None, *, manage: bool = False) -> Role | None:
    """NotFound unless the user may see the project; Forbidden when `manage` and they may not."""
    if project is None:
        raise NotFound("Not found.")
    role = None
    if project.organization_id is not None:
        role = role_of(user, db.session.get_one(Organization, project.organization_id))
    if not can_see_project(user, project, role):
        log.warning("refused: user=%s cannot see project=%s", _name(user), project.id)
        raise NotFound("Not found.")
    if manage and not can_manage_project(user, project, role):
        log.warning(
            "refused: user=%s role=%s cannot manage project=%s", _name(user), role, project.id
        )
        raise Forbidden("Your role allows you to see this project, not to change it.")
    return role
