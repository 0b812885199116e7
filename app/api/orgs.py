"""/api/v1/orgs: the organizations a token's account belongs to, as the /orgs pages show them.

Each operation calls the service its page calls (app/orgs/services.py) after the page's form
has checked the attributes, so permissions, plan limits and the audit log are the pages' own.
A token acts with its account's rights, narrowed by its scopes: an administrator's token sees
an organization it is not a member of only if it carries `admin` (otherwise it is told, as
any outsider is, that there is no such organization).
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from app import limits
from app.api import bearer, schemas
from app.api.blueprints import blueprint
from app.api.common import checked, run
from app.errors import NotFound
from app.models import Organization, Role
from app.orgs import queries, services
from app.orgs.forms import NewOrgForm, OrgDetailsForm
from app.permissions import Action, require

blp = blueprint("api_orgs", __name__, "/orgs", "Organizations")

DETAILS = ("name", "description", "email", "phone", "location")


class OrgChanges(Schema):
    name = fields.String()
    description = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    location = fields.String(allow_none=True)


class Org(OrgChanges):
    slug = fields.String()
    owner_id = fields.Integer()
    created_at = schemas.when()
    role = fields.String(
        allow_none=True,
        metadata={"description": "The caller's role; null for an administrator who is not in it."},
    )
    member_count = fields.Integer()


class NewOrg(OrgChanges):
    slug = fields.String(
        metadata={"description": "Short name for links; left out, one is made from the name."}
    )
    name = fields.String(required=True)


def org_for(caller: bearer.Caller, slug: str) -> tuple[Organization, Role | None]:
    """The organization and the caller's role in it (None for an administrator outside it);
    NotFound for anyone else, as the pages answer, whether or not the slug exists."""
    org, role = queries.org_for_viewer(slug, caller.user)
    if role is None and not caller.is_admin:
        raise NotFound("Not found.")
    return org, role


def shown(org: Organization, role: Role | None, member_count: int) -> dict:
    values = {name: getattr(org, name) for name in ("slug", "owner_id", "created_at", *DETAILS)}
    return values | {"role": role, "member_count": member_count}


def _details(form) -> services.OrgDetails:
    """The form's details as the page's route passes them: empty optional ones as None."""
    optional = {name: getattr(form, name).data or None for name in DETAILS[1:]}
    return services.OrgDetails(name=form.name.data, **optional)


@blp.route("")
class Orgs(MethodView):
    @blp.response(200, Org(many=True))
    def get(self):
        """The caller's organizations with their role, by name (needs `read:orgs`)."""
        caller = bearer.require("read:orgs")
        return [shown(org, role, count) for org, role, count in queries.my_orgs(caller.user)]

    @blp.arguments(NewOrg)
    @blp.response(201, Org)
    def post(self, body):
        """Create an organization owned by the caller (needs `write:orgs`); the plan limits
        the number of organizations a person owns."""
        caller = bearer.require("write:orgs")
        form = checked(NewOrgForm, body)
        org = run(services.create, caller.user, form.slug.data, _details(form))
        location = url_for("api_orgs.OrgView", slug=org.slug)
        return shown(org, Role.OWNER, 1), 201, {"Location": location}


@blp.route("/<slug>")
class OrgView(MethodView):
    @blp.response(200, Org)
    def get(self, slug: str):
        """One organization (needs `read:orgs`): its members see it, administrators too."""
        caller = bearer.require("read:orgs")
        org, role = org_for(caller, slug)
        return shown(org, role, limits.member_count(org))

    @blp.arguments(OrgChanges)
    @blp.response(200, Org)
    def patch(self, changes, slug: str):
        """Change the details sent, keeping the others (needs `write:orgs`; owners and
        maintainers). The short name never changes: links and invitations use it."""
        caller = bearer.require("write:orgs")
        org, role = org_for(caller, slug)
        require(caller.user, org, Action.EDIT_ORG)  # as the page: refused before the form
        current = {name: getattr(org, name) for name in DETAILS}
        form = checked(OrgDetailsForm, current | changes)
        run(services.update, org, caller.user, _details(form))
        return shown(org, role, limits.member_count(org))
