"""/api/v1/users: the admin panel's user actions for programs (administrators' tokens only).

Each operation calls the service its admin page calls (app/admin/services.py), after the page's
own form has checked the request's attributes, so the rules and the audit log are the same.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select, tuple_

from app.account import verification
from app.admin import queries
from app.admin import services as admin
from app.admin.forms import EditUserForm, NewUserForm
from app.api import bearer, cursor, schemas
from app.api.blueprints import blueprint
from app.api.common import checked, run
from app.extensions import db
from app.forms import CONTROL
from app.models import User

blp = blueprint("api_users", __name__, "/users", "Accounts, as administrators manage them")

SORTS = ("username", "-username", "created", "-created")


class ListArgs(schemas.PageArgs):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Part of a username, display name or email address."},
    )
    sort = fields.String(load_default="username", validate=validate.OneOf(SORTS))


class NewUser(Schema):
    username = fields.String(required=True)
    display_name = fields.String()
    email = fields.String(allow_none=True)
    password = fields.String(
        metadata={"description": "Left out: a temporary one is made, returned once."}
    )
    is_admin = fields.Boolean(load_default=False)
    must_change_password = fields.Boolean(load_default=True)


class Created(schemas.User):
    temporary_password = fields.String(
        metadata={"description": "Only when no password was given: shown this once."}
    )


class UserChanges(Schema):
    display_name = fields.String()
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean()
    password = fields.String()
    must_change_password = fields.Boolean()
    revoke_sessions = fields.Boolean(load_default=False)


UserPage = schemas.page_of(schemas.User, "UserPage")


def _page(q: str, sort: str, after: str | None, limit: int) -> tuple[list[User], str | None]:
    """One page in `sort` order after the cursor `after` (keyset paging: the sort value with
    the id as tie-breaker, both in one index)."""
    by_name = sort.lstrip("-") == "username"
    key = User.username_key if by_name else User.created_at
    descending = sort.startswith("-")
    query = select(User)
    if q:
        query = query.where(queries.user_search(q))
    if after is not None and by_name:
        value, _ = cursor.decode(after, sort)
        query = query.where(key < value if descending else key > value)
    elif after is not None:
        row = tuple_(key, User.id)
        bound = cursor.decode_time(after, sort)
        query = query.where(row < bound if descending else row > bound)
    order: list = [key.desc() if descending else key.asc()]
    if not by_name:
        order.append(User.id.desc() if descending else User.id.asc())
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    value = last.username_key if by_name else last.created_at.isoformat()
    return rows[:limit], cursor.encode(sort, value, last.id)


@blp.route("")
class Users(MethodView):
    @blp.arguments(ListArgs, location="query", unknown=RAISE)
    @blp.response(200, UserPage)
    def get(self, args):
        """Accounts, a page at a time (needs `read:users` and `admin`)."""
        bearer.require("read:users", admin=True)
        q = CONTROL.sub("", args.get("q", "")).strip()
        items, next_cursor = _page(q, args["sort"], args.get("cursor"), args["limit"])
        return {"items": items, "next_cursor": next_cursor}

    @blp.arguments(NewUser)
    @blp.response(201, Created)
    def post(self, body):
        """Create an account (needs `write:users` and `admin`)."""
        caller = bearer.require("write:users", admin=True)
        data, temporary = admin.NewUser.from_form(checked(NewUserForm, body))

        def create() -> User:
            user = admin.create_user(caller.user, data)
            verification.start(user)
            return user

        user = run(create)
        shown = schemas.attributes(user)
        if temporary is not None:
            shown["temporary_password"] = temporary
        return shown, 201, {"Location": url_for("api_users.UserView", user_id=user.id)}


def _user(user_id: int) -> User:
    return queries.user_or_404(user_id)


@blp.route("/<int:user_id>")
class UserView(MethodView):
    @blp.response(200, schemas.User)
    def get(self, user_id: int):
        """One account (needs `read:users` and `admin`)."""
        bearer.require("read:users", admin=True)
        return _user(user_id)

    @blp.arguments(UserChanges)
    @blp.response(200, schemas.User)
    def patch(self, changes, user_id: int):
        """Change an account: the attributes sent, the others kept (needs `write:users` and
        `admin`). A new password signs the person out everywhere."""
        caller = bearer.require("write:users", admin=True)
        user = _user(user_id)
        current = {
            "display_name": user.display_name,
            "email": user.email,
            "is_admin": user.is_admin,
            "must_change_password": user.must_change_password,
        }
        form = checked(EditUserForm, {**current, **changes}, user)
        new = admin.UserChanges(
            display_name=form.display_name.data,
            email=form.email.data,
            is_admin=form.is_admin.data,
            password=form.password.data or None,
            must_change_password=form.must_change_password.data,
            revoke_sessions=changes["revoke_sessions"],
        )
        old_address = user.email_key

        def save() -> None:
            admin.update_user(caller.user, user, new)
            if user.email_key != old_address:
                verification.start(user)

        run(save)
        return _user(user_id)

    @blp.response(204)
    def delete(self, user_id: int):
        """Delete an account, with its sessions, memberships and personal projects (needs
        `write:users` and `admin`). Refused while it owns an organization or pays for a plan."""
        caller = bearer.require("write:users", admin=True)
        user = _user(user_id)
        run(admin.delete_user, caller.user, user, user.username)


def _action(name: str, service, summary: str) -> None:
    def view(user_id: int):
        caller = bearer.require("write:users", admin=True)
        run(service, caller.user, _user(user_id))
        return _user(user_id)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = summary
    blp.route(f"/<int:user_id>/{name}", methods=["POST"], endpoint=name)(
        blp.response(200, schemas.User)(view)
    )


_action("disable", admin.disable, "Disable an account: its sessions end, its tokens die.")
_action("enable", admin.enable, "Enable a disabled account.")
_action("unlock", admin.unlock, "Clear the sign-in failures and reopen question recovery.")
