"""/api/v1/orgs/<slug>/invitations: the pending invitations of an organization, sent, resent
and withdrawn by the services of the organization page, which also queue the mail.

An invitation's token never leaves the server through the API: it reaches the invitee by mail
only. So on a site that sends no mail the API refuses to invite or resend (a resend would also
kill the link someone may have passed on by hand); the page shows such links instead.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app import mail
from app.api import bearer, schemas
from app.api.blueprints import blueprint
from app.api.common import checked, run
from app.api.orgs import org_for
from app.errors import Conflict, NotFound
from app.models import Invitation, Organization, Role
from app.orgs import queries, services
from app.orgs.forms import ROLE_CHOICES, InviteForm
from app.permissions import Action, require

blp = blueprint("api_invitations", __name__, "/orgs", "Invitations to organizations")

NO_MAIL = (
    "This site sends no mail, so an invitation made or renewed here could reach nobody. "
    "Invite from the organization's page, which shows the link to pass on."
)


class InvitationOut(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    invited_by_id = fields.Integer(allow_none=True)
    created_at = schemas.when()
    expires_at = schemas.when()
    expired = fields.Boolean(metadata={"description": "Past expires_at; a resend renews it."})


COLUMNS = ("id", "email", "role", "invited_by_id", "created_at", "expires_at")


class NewInvitation(Schema):
    email = fields.String(required=True)
    role = fields.String(
        load_default=Role.WORKER.value,
        validate=validate.OneOf([value for value, _ in ROLE_CHOICES]),
    )


def shown(invitation: Invitation) -> dict:
    values = {name: getattr(invitation, name) for name in COLUMNS}
    return values | {"expired": queries.is_expired(invitation)}


def _inviter(scope: str, slug: str) -> tuple[bearer.Caller, Organization]:
    """The caller and organization, if the caller's role may invite at all (for some role)."""
    caller = bearer.require(scope)
    org, _ = org_for(caller, slug)
    require(caller.user, org, Action.INVITE)
    return caller, org


def _mail_or_refuse() -> None:
    if not mail.configured():
        raise Conflict(NO_MAIL)


@blp.route("/<slug>/invitations")
class Invitations(MethodView):
    @blp.response(200, InvitationOut(many=True))
    def get(self, slug: str):
        """The invitations not yet answered, expired ones included, newest first (needs
        `read:orgs`; those who may invite, as on the page)."""
        _, org = _inviter("read:orgs", slug)
        return [shown(i) for i in queries.pending_invitations(org)]

    @blp.arguments(NewInvitation)
    @blp.response(201, InvitationOut)
    def post(self, body, slug: str):
        """Invite someone by email (needs `write:orgs`; owners for any role but owner,
        maintainers for supervisors and workers). A pending invitation takes a seat of the
        plan; the mail goes out once the invitation is saved."""
        caller, org = _inviter("write:orgs", slug)
        form = checked(InviteForm, body)
        _mail_or_refuse()
        role = Role(form.role.data)
        invitation, _ = run(services.invite, org, caller.user, form.email.data, role)
        location = url_for(
            "api_invitations.OneInvitation", slug=org.slug, invitation_id=invitation.id
        )
        return shown(invitation), 201, {"Location": location}


def _one(org: Organization, invitation_id: int) -> Invitation:
    found = next((i for i in queries.pending_invitations(org) if i.id == invitation_id), None)
    if found is None:
        raise NotFound("There is no such pending invitation.")
    return found


@blp.route("/<slug>/invitations/<int:invitation_id>")
class OneInvitation(MethodView):
    @blp.response(200, InvitationOut)
    def get(self, slug: str, invitation_id: int):
        """One invitation not yet answered (needs `read:orgs`)."""
        _, org = _inviter("read:orgs", slug)
        return shown(_one(org, invitation_id))

    @blp.response(204)
    def delete(self, slug: str, invitation_id: int):
        """Withdraw an invitation: its link stops working (needs `write:orgs`)."""
        caller, org = _inviter("write:orgs", slug)
        run(services.revoke, org, caller.user, invitation_id)


@blp.route("/<slug>/invitations/<int:invitation_id>/resend", methods=["POST"])
@blp.response(200, InvitationOut)
def resend(slug: str, invitation_id: int):
    """Mail the invitation again with a new link and lifetime; the old link stops working
    (needs `write:orgs`). An expired one needs a free seat again."""
    caller, org = _inviter("write:orgs", slug)
    _mail_or_refuse()
    invitation, _ = run(services.resend, org, caller.user, invitation_id)
    return shown(invitation)
