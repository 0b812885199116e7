"""The current workspace: the person's own (None) or one of their organizations.

It is kept on the session record (user_sessions.workspace_org_id), so it follows the sign-in and
not the browser's cookie jar. `memberships()` and `current()` load once per request (on `g`).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.models import Membership, Organization, Role, User, UserSession

PERSONAL = "personal"


@dataclass(frozen=True)
class Choice:
    org: Organization
    role: Role


def memberships(user: User) -> list[Choice]:
    """The user's organizations with their role, by name, in one query (cached per request)."""
    cache = g.setdefault("workspace_memberships", {})
    if user.id not in cache:
        rows = db.session.execute(
            select(Organization, Membership.role).join(
                Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id).order_by(Organization.name, Organization.id))
        cache[user.id] = [Choice(org, Role(role)) for org, role in rows]
    return cache[user.id]


def current(user: User, record: UserSession | None) -> Choice | None:
    """The chosen organization, or None for the personal workspace (also after leaving it)."""
    if record is None or record.workspace_org_id is None:
        return None
    return next((c for c in memberships(user) if c.org.id == record.workspace_org_id), None)


def switch(user: User, record: UserSession, value: str) -> Organization | None:
    """Point the session at `value` (PERSONAL or a slug of one of the user's organizations)."""
    if value == PERSONAL:
        record.workspace_org_id = None
        return None
    choice = next((c for c in memberships(user) if c.org.slug == value), None)
    if choice is None:
        raise NotFound("Not found.")
    record.workspace_org_id = choice.org.id
    return choice.org


def forget(org: Organization, user: User | None = None) -> None:
    """Sessions that had `org` as workspace fall back to personal (after leaving or removal)."""
    from sqlalchemy import update

    query = update(UserSession).where(UserSession.workspace_org_id == org.id)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    db.session.execute(query.values(workspace_org_id=None)
                       .execution_options(synchronize_session=False))
    g.pop("workspace_memberships", None)


def here(user: User, record: UserSession | None) -> tuple[Organization | None, Role | None]:
    """(organization, role) of the current workspace; (None, None) for the personal one."""
    choice = current(user, record)
    return (choice.org, choice.role) if choice else (None, None)
