"""The JSON shapes the API shares: problem details, pages, users and sessions."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate


class Problem(Schema):
    """RFC 9457 problem details. `field` names the attribute a refusal is about, `errors`
    lists what was wrong with each attribute of the request."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Not found"})
    status = fields.Integer(metadata={"example": 404})
    detail = fields.String(metadata={"example": "There is no such user."})
    field = fields.String()
    errors = fields.Dict()


def when(**kw) -> fields.AwareDateTime:
    """A time in UTC with its offset (RFC 3339); the database keeps naive UTC times."""
    return fields.AwareDateTime(default_timezone=UTC, **kw)


class User(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String()
    email = fields.String(allow_none=True)
    email_verified = fields.Boolean(dump_only=True)
    is_admin = fields.Boolean()
    is_disabled = fields.Boolean(dump_only=True)
    must_change_password = fields.Boolean()
    created_at = when(dump_only=True)
    last_login_at = when(dump_only=True, allow_none=True)


def attributes(user, **more) -> dict:
    """The account's attributes the User schema shows, with `more`, for a schema that adds
    to them (the response dumps the values, so they stay Python values here)."""
    return {name: getattr(user, name) for name in User().fields} | more


class Me(User):
    scopes = fields.List(fields.String(), dump_only=True)
    token_name = fields.String(dump_only=True)


class PageArgs(Schema):
    cursor = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "`next_cursor` of the previous page; none for the first."},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of `item`: the items and the cursor of the next page (null on the last)."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item)), "next_cursor": fields.String(allow_none=True)},
        name=name,
    )


class Session(Schema):
    id = fields.Integer()
    created_at = when()
    last_seen_at = when()
    expires_at = when()
    remember = fields.Boolean()
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
