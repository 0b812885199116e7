"""/api/v1/users/<id>/sessions: a person's live sign-ins. A token may see and end its own
account's sessions (`read:users`, `write:users`); administrators' tokens anyone's (`admin`).
The same services as /account/sessions and the admin panel's session actions."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from app.account import services as account
from app.admin import queries
from app.admin import services as admin
from app.api import bearer, schemas
from app.api.blueprints import blueprint
from app.api.common import run
from app.auth import sessions
from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import User, UserSession

blp = blueprint("api_sessions", __name__, "/users", "Sign-in sessions of an account")


class Revoked(Schema):
    ended = fields.Integer(metadata={"description": "How many sessions ended."})


def _target(scope: str, user_id: int) -> tuple[bearer.Caller, User]:
    """The caller and the account, if the caller may act on its sessions: their own, or as an
    administrator. Anyone else is told there is no such account (404, as the admin pages do)."""
    caller = bearer.require(scope)
    if caller.user.id != user_id and not caller.is_admin:
        raise NotFound("There is no such user.")
    return caller, queries.user_or_404(user_id)


@blp.route("/<int:user_id>/sessions")
class Sessions(MethodView):
    @blp.response(200, schemas.Session(many=True))
    def get(self, user_id: int):
        """The account's live sessions, the most recently used first."""
        _, user = _target("read:users", user_id)
        return sessions.live_for(user)

    @blp.response(200, Revoked)
    def delete(self, user_id: int):
        """End every session of the account."""
        caller, user = _target("write:users", user_id)
        if caller.user.id == user.id:
            ended = run(account.revoke_other_sessions, user, None)
        else:
            ended = run(admin.revoke_sessions, caller.user, user)
        return {"ended": ended}


def _revoke_own(user: User, session_id: int) -> None:
    if not account.revoke_own_session(user, session_id):
        raise NotFound("There is no such live session.")


def _revoke_any(actor: User, user: User, session_id: int) -> None:
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != user.id:
        raise NotFound("There is no such live session.")
    try:
        admin.revoke_session(actor, session_id)
    except DomainError as exc:
        raise NotFound("There is no such live session.") from exc


@blp.route("/<int:user_id>/sessions/<int:session_id>")
class OneSession(MethodView):
    @blp.response(204)
    def delete(self, user_id: int, session_id: int):
        """End one session of the account."""
        caller, user = _target("write:users", user_id)
        if caller.user.id == user.id:
            run(_revoke_own, user, session_id)
        else:
            run(_revoke_any, caller.user, user, session_id)
