"""SCIM Users ⇄ our accounts, through the admin panel's services and forms (app/admin).

An account a client creates has no password anybody knows (password_set false, as accounts
made by a single sign-on): its owner signs in through single sign-on, or an administrator sets
a temporary password. `active: false` is the admin panel's "Disable": sessions end, tokens die.
"""

from __future__ import annotations

import secrets
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidValueException,
    Meta,
    NotFoundException,
    SearchRequest,
)
from sqlalchemy import false, func, not_, select, true

from app.account import verification
from app.admin import queries
from app.admin import services as admin
from app.admin.forms import EditUserForm, NewUserForm
from app.api.common import checked
from app.extensions import db
from app.models import User
from app.scim import filters, schema
from app.scim.filters import Column, Op
from app.scim.refusals import as_scim, check_version, version_of


def _active(op: Op, value: Any):
    if op not in (Op.eq, Op.ne) or not isinstance(value, bool | None):
        raise InvalidFilterException(detail="active is compared with eq or ne.")
    if value is None:  # `active pr`: every account has it
        return true()
    return User.is_disabled.is_(false() if (value == (op == Op.eq)) else true())


def _email_type(op: Op, value: Any):
    """The one address is the work one (see schema.Email)."""
    if value is None:  # `emails.type pr`
        return User.email.is_not(None)
    if op not in (Op.eq, Op.ne) or not isinstance(value, str):
        raise InvalidFilterException(detail="emails.type is compared with eq or ne.")
    equal = User.email.is_not(None) if value.casefold() == "work" else false()
    return equal if op == Op.eq else not_(equal)  # ne: also the accounts without an address


COLUMNS = {
    "id": Column(User.id, kind="id"),
    "username": Column(User.username_key, folded=True),
    "displayname": Column(User.display_name),
    "emails.value": Column(User.email_key, folded=True, nullable=True),
    "emails.type": Column(User.email, condition=_email_type),
    "externalid": Column(User.scim_external_id, case_exact=True, nullable=True),
    "active": Column(User.is_disabled, kind="bool", condition=_active),
    "meta.created": Column(User.created_at, kind="datetime"),
    "meta.lastmodified": Column(User.created_at, kind="datetime"),
}


def to_scim(user: User) -> schema.User:
    resource = schema.User(
        id=str(user.id),
        external_id=user.scim_external_id,
        user_name=user.username,
        display_name=user.display_name,
        active=not user.is_disabled,
        emails=[schema.Email(value=user.email, type="work")] if user.email else None,
    )
    resource.meta = Meta(
        resource_type="User",
        created=user.created_at,
        last_modified=user.created_at,
        version=version_of(resource),
    )
    return resource


def find(resource_id: str | None, *, lock: bool = False) -> User:
    user = None
    if resource_id and resource_id.isdigit() and len(resource_id) < 19:
        query = select(User).where(User.id == int(resource_id))
        if lock:  # a write: a second PATCH of the same account waits, then sees the first's
            query = query.with_for_update().execution_options(populate_existing=True)
        user = db.session.scalar(query)
    if user is None:
        raise NotFoundException(detail=f"There is no user {resource_id}.")
    return user


def search(request: SearchRequest[Any]) -> tuple[int, list[schema.User]]:
    where = filters.condition(request.filter.ast if request.filter else None, COLUMNS)
    if request.filter is None:  # the trigger-kept figure: no count of 100k rows per page
        total = db.session.scalar(select(queries.user_total())) or 0
    else:
        total = db.session.scalar(select(func.count()).select_from(User).where(where)) or 0
    count = schema.MAX_RESULTS if request.count is None else request.count
    if count == 0:
        return total, []
    query = select(User).where(where).order_by(User.id)
    rows = db.session.scalars(query.offset(request.start_index_0 or 0).limit(count))
    return total, [to_scim(user) for user in rows]


def _email(resource: schema.User) -> str | None:
    values = [email.value for email in resource.emails or [] if email.value]
    if len(values) > 1:
        raise InvalidValueException(detail="An account has one email address at most.")
    return values[0] if values else None


def create(actor: User, resource: schema.User) -> schema.User:
    email = _email(resource)
    values = {"username": resource.user_name, "display_name": resource.display_name}
    with as_scim():
        form = checked(NewUserForm, {**values, "email": email})
        user = admin.create_user(
            actor,
            admin.NewUser(
                username=form.username.data,
                display_name=form.display_name.data,
                email=form.email.data,
                password=secrets.token_urlsafe(32),  # nobody knows it: see the module's doc
            ),
        )
        user.password_set = False
        user.scim_external_id = resource.external_id
        if user.email:
            verification.start(user)
        if resource.active is False:
            admin.disable(actor, user)
    return to_scim(user)


def update(actor: User, resource: schema.User, expected_version: str | None) -> schema.User:
    user = find(resource.id, lock=True)
    check_version(to_scim(user), expected_version)
    email = _email(resource)
    with as_scim():
        if resource.user_name != user.username:
            checked(NewUserForm, {"username": resource.user_name})
            admin.rename_user(actor, user, resource.user_name or "")
        _change_details(actor, user, resource.display_name, email)
        user.scim_external_id = resource.external_id
        if resource.active is False and not user.is_disabled:
            admin.disable(actor, user)
        elif resource.active and user.is_disabled:
            admin.enable(actor, user)
    return to_scim(user)


def _change_details(actor: User, user: User, display_name: str | None, email: str | None) -> None:
    if display_name == user.display_name and email == user.email:
        return
    # "" rather than None: the form would fill a missing field from `user`.
    values = {"display_name": display_name or "", "email": email or "", "is_admin": user.is_admin}
    form = checked(EditUserForm, values, user)
    old_address = user.email_key
    admin.update_user(
        actor,
        user,
        admin.UserChanges(
            display_name=form.display_name.data,
            email=form.email.data,
            is_admin=user.is_admin,
            password=None,
            must_change_password=user.must_change_password,
            revoke_sessions=False,
        ),
    )
    if user.email and user.email_key != old_address:
        verification.start(user)


def delete(actor: User, resource_id: str, expected_version: str | None) -> None:
    user = find(resource_id, lock=True)
    check_version(to_scim(user), expected_version)
    with as_scim():
        admin.delete_user(actor, user, user.username)
