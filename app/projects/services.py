"""Projects in a workspace: create, edit, assign, delete, move. The caller commits."""

from __future__ import annotations

from sqlalchemy import delete, select

from app import audit, limits
from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Membership, Organization, Project, ProjectAssignee, User
from app.orgs import workspace
from app.permissions import Action, require, require_project


def create(actor: User, org: Organization | None, name: str, description: str | None) -> Project:
    """A project in `org`, or in the actor's personal workspace when `org` is None."""
    if org is not None:
        require(actor, org, Action.CREATE_PROJECT)
        limits.require_project_slot(org=org)
    else:
        limits.require_project_slot(user=actor)
    project = Project(
        name=name,
        description=description,
        created_by_id=actor.id,
        organization_id=org.id if org else None,
        personal_owner_id=None if org else actor.id,
    )
    db.session.add(project)
    db.session.flush()
    audit.record("project.created", actor, org=org, target=name, detail=f"project {project.id}")
    return project


def get(actor: User, project_id: int, *, manage: bool = False) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("Not found.")
    require_project(actor, project, manage=manage)
    return project


def update(actor: User, project_id: int, name: str, description: str | None) -> Project:
    project = get(actor, project_id, manage=True)
    project.name = name
    project.description = description
    return project


def allowed_assignees(project: Project, actor: User) -> list[User]:
    """Who may be assigned: the organization's members, or only the owner in a personal one."""
    if project.organization_id is None:
        return [actor] if project.personal_owner_id == actor.id else []
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == project.organization_id)
            .order_by(User.display_name)
        )
    )


def assign(actor: User, project_id: int, user_ids: list[int]) -> Project:
    project = get(actor, project_id, manage=True)
    candidates = {u.id: u for u in allowed_assignees(project, actor)}
    unknown = set(user_ids) - set(candidates)
    if unknown:
        raise DomainError("Only members of the project's workspace can be assigned.")
    db.session.execute(delete(ProjectAssignee).where(ProjectAssignee.project_id == project.id))
    for user_id in sorted(set(user_ids)):
        db.session.add(ProjectAssignee(project_id=project.id, user_id=user_id))
    audit.record(
        "project.assigned",
        actor,
        target=project.name,
        org=db.session.get(Organization, project.organization_id)
        if project.organization_id
        else None,
        detail=",".join(candidates[i].username for i in sorted(set(user_ids))),
    )
    return project


def delete_project(actor: User, project_id: int) -> Project:
    project = get(actor, project_id, manage=True)
    audit.record("project.deleted", actor, target=project.name, detail=f"project {project.id}")
    db.session.execute(delete(ProjectAssignee).where(ProjectAssignee.project_id == project.id))
    db.session.delete(project)
    return project


def transfer(actor: User, project_id: int, destination: str) -> Project:
    """Move a project to `personal` or to an organization where the actor may create projects."""
    project = get(actor, project_id, manage=True)
    if destination == workspace.PERSONAL:
        target = None
        if project.organization_id is None:
            raise DomainError("The project is already in your personal workspace.")
        limits.require_project_slot(user=actor)
    else:
        target = next(
            (c.org for c in workspace.memberships(actor) if c.org.slug == destination), None
        )
        if target is None:
            raise NotFound("Not found.")
        if project.organization_id == target.id:
            raise DomainError(f"The project is already in {target.name}.")
        require(actor, target, Action.CREATE_PROJECT)
        limits.require_project_slot(org=target)
    if target is None:
        keep = {actor.id}
    else:
        keep = set(
            db.session.scalars(
                select(Membership.user_id).where(Membership.organization_id == target.id)
            )
        )
    db.session.execute(
        delete(ProjectAssignee).where(
            ProjectAssignee.project_id == project.id, ProjectAssignee.user_id.not_in(keep)
        )
    )
    project.organization_id = target.id if target else None
    project.personal_owner_id = None if target else actor.id
    audit.record(
        "project.transferred",
        actor,
        org=target,
        target=project.name,
        detail=f"project {project.id} to {target.slug if target else 'personal'}",
    )
    return project
