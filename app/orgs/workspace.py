"""The current workspace: the person's own (None) or one of their organizations.

It is kept on the session record (user_sessions.workspace_org_id), so it follows the sign-in and
not the browser's cookie jar. One query per request (kept on `g`) loads what the layout needs:
the person's organizations with their role, and the subscription of every workspace they can
switch to, so the grace banner of whichever is current costs no query of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.errors import NotFound
from app.extensions import db
from app.models import Membership, Organization, Role, Subscription, User, UserSession

PERSONAL = "personal"


@dataclass(frozen=True)
class Choice:
    org: Organization
    role: Role
    subscription: Subscription | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Workspaces:
    choices: list[Choice]
    personal_subscription: Subscription | None


def _workspaces(user: User) -> _Workspaces:
    """One query: the user's organizations (by name) with role and subscription, and their own
    subscription. Cached per request."""
    cache = g.setdefault("workspace_memberships", {})
    if user.id not in cache:
        org_plan, own_plan = aliased(Subscription), aliased(Subscription)
        rows = db.session.execute(
            select(Organization, Membership.role, org_plan, own_plan).select_from(User)
            .outerjoin(Membership, Membership.user_id == User.id)
            .outerjoin(Organization, Organization.id == Membership.organization_id)
            .outerjoin(org_plan, org_plan.organization_id == Organization.id)
            .outerjoin(own_plan, own_plan.user_id == User.id)
            .where(User.id == user.id).order_by(Organization.name, Organization.id)).all()
        cache[user.id] = _Workspaces(
            [Choice(org, Role(role), plan) for org, role, plan, _ in rows if org is not None],
            rows[0][3] if rows else None)
    return cache[user.id]


def memberships(user: User) -> list[Choice]:
    """The user's organizations with their role, by name (cached per request)."""
    return _workspaces(user).choices


def subscription_here(user: User, record: UserSession | None) -> Subscription | None:
    """The subscription row of the current workspace (None on Free), from the same query."""
    choice = current(user, record)
    return choice.subscription if choice else _workspaces(user).personal_subscription


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
