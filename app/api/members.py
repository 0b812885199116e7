"""/api/v1/orgs/<slug>/members: who is in an organization, role changes and removals, by the
services of the organization page (app/orgs/services.py): never the owner's role, never one's
own, a maintainer only between supervisor and worker (SPEC §5)."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api import bearer
from app.api.blueprints import blueprint
from app.api.common import checked, run
from app.api.orgs import org_for
from app.extensions import db
from app.models import Role, User
from app.orgs import queries, services
from app.orgs.forms import ROLE_CHOICES, RoleForm

blp = blueprint("api_members", __name__, "/orgs", "Members of organizations")


class Member(Schema):
    user_id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"description": "owner, maintainer, supervisor or worker"})


class RoleChange(Schema):
    role = fields.String(
        required=True,
        validate=validate.OneOf([value for value, _ in ROLE_CHOICES]),
        metadata={"description": "The owner's role is never given: ownership is transferred."},
    )


def member(user: User, role: Role) -> dict:
    return {
        "user_id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": role,
    }


@blp.route("/<slug>/members")
class Members(MethodView):
    @blp.response(200, Member(many=True))
    def get(self, slug: str):
        """The members, the owner first, then by role and name (needs `read:orgs`)."""
        caller = bearer.require("read:orgs")
        org, _ = org_for(caller, slug)
        return [member(user, role) for user, role in queries.members(org)]


@blp.route("/<slug>/members/<int:user_id>")
class OneMember(MethodView):
    @blp.arguments(RoleChange)
    @blp.response(200, Member)
    def patch(self, body, slug: str, user_id: int):
        """Change a member's role (needs `write:orgs`; owners for any role but owner,
        maintainers between supervisor and worker)."""
        caller = bearer.require("write:orgs")
        org, _ = org_for(caller, slug)
        form = checked(RoleForm, body)
        membership = run(services.change_role, org, caller.user, user_id, Role(form.role.data))
        return member(db.session.get_one(User, user_id), Role(membership.role))

    @blp.response(204)
    def delete(self, slug: str, user_id: int):
        """Remove a member, with their project assignments (needs `write:orgs`; owners, and
        maintainers for supervisors and workers). To leave, use the page's “Leave”."""
        caller = bearer.require("write:orgs")
        org, _ = org_for(caller, slug)
        run(services.remove_member, org, caller.user, user_id)
