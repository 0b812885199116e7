"""/api/v1/projects: the projects a token's account may see, in its personal workspace and its
organizations (SPEC §5: owners and maintainers all, supervisors theirs and their assignments,
workers their assignments), created, changed and deleted by the project pages' services.

The pages work in the session's current workspace; a token has no session, so a project names
its workspace itself: `org` is an organization's slug, or null for the personal workspace.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import ColumnElement, select, tuple_

from app.api import bearer, cursor, schemas
from app.api.blueprints import blueprint
from app.api.common import checked, run
from app.api.orgs import org_for
from app.extensions import db
from app.models import Organization, Project, Role
from app.orgs import workspace
from app.permissions import Action, can_manage_project, require
from app.projects import queries, services
from app.projects.forms import ProjectForm, TransferForm

blp = blueprint("api_projects", __name__, "/projects", "Projects")

SORT = "created"  # newest first, as the project list


class Assignee(Schema):
    user_id = fields.Integer(attribute="id")
    username = fields.String()
    display_name = fields.String()


class ProjectOut(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    description = fields.String(allow_none=True)
    org = fields.String(
        allow_none=True,
        metadata={"description": "The organization's slug; null: the personal workspace."},
    )
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = schemas.when(dump_only=True)
    updated_at = schemas.when(dump_only=True)
    assignees = fields.List(fields.Nested(Assignee), dump_only=True)
    can_manage = fields.Boolean(
        dump_only=True, metadata={"description": "Whether the caller may change or delete it."}
    )


class NewProject(ProjectOut):
    name = fields.String(required=True)


class ProjectChanges(Schema):
    name = fields.String()
    description = fields.String(allow_none=True)
    assignees = fields.List(
        fields.Integer(),
        validate=validate.Length(max=1000),
        metadata={"description": "User ids: all of them, replacing the assignees."},
    )


class ListArgs(schemas.PageArgs):
    org = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "Only this organization's projects, or `personal`."},
    )


ProjectPage = schemas.page_of(ProjectOut, "ProjectPage")


COLUMNS = ("id", "name", "description", "created_by_id", "created_at", "updated_at")


def shown(row: queries.Row, slug: str | None) -> dict:
    values = {name: getattr(row.project, name) for name in COLUMNS}
    return values | {"org": slug, "assignees": row.assignees, "can_manage": row.can_manage}


# Each project's workspace (an organization's id, None for personal): its slug and the role.
Workspaces = dict[int | None, tuple[str | None, Role | None]]
PERSONAL: Workspaces = {None: (None, None)}


def _where(caller: bearer.Caller, slug: str | None) -> tuple[ColumnElement[bool], dict, Workspaces]:
    """The condition and parameters of the projects listed, and each organization's slug and
    the caller's role there."""
    user = caller.user
    if slug == workspace.PERSONAL:
        return queries.visible_condition("personal"), {"user_id": user.id}, PERSONAL
    if slug is not None:
        org, role = org_for(caller, slug)
        visible = queries.visibility(user, org, role)
        if visible is None:  # an administrator outside it sees the organization, not its work
            return Project.id.is_(None), {}, PERSONAL
        kind, params = visible
        return queries.visible_condition(kind), params, {org.id: (org.slug, role)}
    roles = {c.org: c.role for c in workspace.memberships(user)}
    where = queries.visible_anywhere(user, roles)
    return where, {"user_id": user.id}, PERSONAL | {o.id: (o.slug, r) for o, r in roles.items()}


def _after(after: str) -> ColumnElement[bool]:
    created, last_id = cursor.decode_time(after, SORT)
    return tuple_(Project.created_at, Project.id) < (created, last_id)


def _page(caller: bearer.Caller, args: dict) -> dict:
    """One page, newest first after the cursor: the projects, then their assignees, in two
    queries whatever the page's length."""
    where, params, orgs = _where(caller, args.get("org"))
    query = select(Project).where(where)
    if args.get("cursor"):
        query = query.where(_after(args["cursor"]))
    limit = args["limit"]
    query = query.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit + 1)
    projects = list(db.session.scalars(query, params))
    rows = queries.with_assignees(caller.user, None, projects[:limit])
    items = []
    for row in rows:  # each project's organization has its own role for can_manage
        slug, role = orgs[row.project.organization_id]
        row.can_manage = can_manage_project(caller.user, row.project, role)
        items.append(shown(row, slug))
    next_cursor = None
    if len(projects) > limit:
        last = projects[limit - 1]
        next_cursor = cursor.encode(SORT, last.created_at.isoformat(), last.id)
    return {"items": items, "next_cursor": next_cursor}


def _one(caller: bearer.Caller, project_id: int) -> dict:
    project = services.get(caller.user, project_id)
    org = db.session.get(Organization, project.organization_id) if project.organization_id else None
    return shown(queries.one(caller.user, project), org.slug if org else None)


@blp.route("")
class Projects(MethodView):
    @blp.arguments(ListArgs, location="query", unknown=RAISE)
    @blp.response(200, ProjectPage)
    def get(self, args):
        """The projects the caller may see, newest first, a page at a time (needs
        `read:orgs`)."""
        return _page(bearer.require("read:orgs"), args)

    @blp.arguments(NewProject)
    @blp.response(201, ProjectOut)
    def post(self, body):
        """Create a project in the organization `org` (owners, maintainers, supervisors) or,
        without `org` (or with `personal`), in the caller's personal workspace (needs
        `write:orgs`). The plan limits the number of projects of each workspace."""
        caller = bearer.require("write:orgs")
        org = None
        if body.get("org") not in (None, "", workspace.PERSONAL):
            org, _ = org_for(caller, body["org"])
            require(caller.user, org, Action.CREATE_PROJECT)  # as the page: before the form
        form = checked(ProjectForm, body)
        description = form.description.data or None
        project = run(services.create, caller.user, org, form.name.data, description)
        location = url_for("api_projects.ProjectView", project_id=project.id)
        return _one(caller, project.id), 201, {"Location": location}


@blp.route("/<int:project_id>")
class ProjectView(MethodView):
    @blp.response(200, ProjectOut)
    def get(self, project_id: int):
        """One project the caller may see, with its assignees (needs `read:orgs`)."""
        return _one(bearer.require("read:orgs"), project_id)

    @blp.arguments(ProjectChanges)
    @blp.response(200, ProjectOut)
    def patch(self, changes, project_id: int):
        """Change the name, description or assignees sent (needs `write:orgs`; those who may
        manage the project). Assignees must be members of its workspace."""
        caller = bearer.require("write:orgs")
        project = services.get(caller.user, project_id, manage=True)
        values = {"name": project.name, "description": project.description}
        values |= {k: v for k, v in changes.items() if k in values}
        form = checked(ProjectForm, values)
        assignees = changes.get("assignees")

        def save() -> None:
            description = form.description.data or None
            services.update(caller.user, project_id, form.name.data, description)
            if assignees is not None:
                services.assign(caller.user, project_id, assignees)

        run(save)
        return _one(caller, project_id)

    @blp.response(204)
    def delete(self, project_id: int):
        """Delete a project (needs `write:orgs`; those who may manage it)."""
        caller = bearer.require("write:orgs")
        run(services.delete_project, caller.user, project_id)


class Move(Schema):
    workspace = fields.String(
        required=True,
        validate=validate.Length(max=40),
        metadata={"description": "`personal`, or the slug of an organization of the caller's."},
    )


@blp.route("/<int:project_id>/transfer", methods=["POST"])
@blp.arguments(Move)
@blp.response(200, ProjectOut)
def transfer(body, project_id: int):
    """Move a project to the personal workspace or to an organization where the caller may
    create projects (needs `write:orgs`). Assignees who are not members there are unassigned;
    the plan of the workspace it goes to limits its projects."""
    caller = bearer.require("write:orgs")
    services.get(caller.user, project_id, manage=True)  # as the page: refused before the form
    form = checked(TransferForm, body)
    run(services.transfer, caller.user, project_id, form.workspace.data.strip().lower())
    return _one(caller, project_id)
