"""The current workspace: the person's own (None) or one of their organizations.

It is kept on the session record (user_sessions.workspace_org_id), so it follows the sign-in and
not the browser's cookie jar. What the layout needs — the person's organizations with their
role, the subscription of every workspace they can switch to (for the grace banner) and the
number of invitations waiting for them (the navigation's badge) — comes with the session lookup
of each request (PRELOAD), in the same statement, and is kept on `g`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import aliased

from app.errors import NotFound
from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Role, Subscription, User, UserSession

PERSONAL = "personal"
# Made once: an alias builds proxies of all its columns on first use, which cost more per
# request than the query itself.
_ORG_PLAN, _OWN_PLAN = aliased(Subscription), aliased(Subscription)
_INVITEE = aliased(User)


@dataclass(frozen=True)
class Choice:
    org: Organization
    role: Role
    subscription: Subscription | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Workspaces:
    choices: list[Choice]
    personal_subscription: Subscription | None
    pending_invitations: int = 0


def _pending_invitations(user_id):
    """How many live invitations are addressed to `user_id`'s email, as a correlated subquery.

    The statement is built once and cached (sessions._lookup), so "now" is bound at execution
    time by a callable, not frozen when the statement was built.
    """
    return (
        select(func.count(Invitation.id))
        .join(_INVITEE, _INVITEE.email_key == Invitation.email_key)
        .where(
            _INVITEE.id == user_id,
            Invitation.accepted_at.is_(None),
            Invitation.declined_at.is_(None),
            Invitation.expires_at
            > bindparam("now", callable_=utcnow, type_=Invitation.expires_at.type),
        )
        .scalar_subquery()
    )


def _with_workspaces(query: Select, user_id) -> Select:
    """`query` plus, by outer joins from `user_id`, one row per organization of the user (by
    name) with role and subscription, the user's own subscription and their pending invitations."""
    return (
        query.add_columns(
            Organization, Membership.role, _ORG_PLAN, _OWN_PLAN, _pending_invitations(user_id)
        )
        .outerjoin(Membership, Membership.user_id == user_id)
        .outerjoin(Organization, Organization.id == Membership.organization_id)
        .outerjoin(_ORG_PLAN, _ORG_PLAN.organization_id == Organization.id)
        .outerjoin(_OWN_PLAN, _OWN_PLAN.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    )


def _keep(user_id: int, rows) -> _Workspaces:
    """Cache for this request the workspaces of rows ending in (org, role, org plan, own plan,
    pending invitations)."""
    found = _Workspaces(
        [
            Choice(org, Role(role), plan)
            for *_, org, role, plan, _own, _n in rows
            if org is not None
        ],
        rows[0][-2] if rows else None,
        rows[0][-1] or 0 if rows else 0,
    )
    g.setdefault("workspace_memberships", {})[user_id] = found
    return found


def _workspaces(user: User) -> _Workspaces:
    """The user's workspaces, from the session lookup (PRELOAD) or one query; cached per
    request."""
    cache = g.setdefault("workspace_memberships", {})
    if user.id in cache:
        return cache[user.id]
    query = _with_workspaces(select().select_from(User), User.id).where(User.id == user.id)
    return _keep(user.id, db.session.execute(query).all())


class _Preload:
    """Rides on the session lookup of every request (app/auth/web.py), saving a query a page."""

    def extend(self, query: Select) -> Select:
        return _with_workspaces(query, UserSession.user_id)

    def keep(self, record: UserSession, rows) -> None:
        _keep(record.user_id, rows)


PRELOAD = _Preload()


def memberships(user: User) -> list[Choice]:
    """The user's organizations with their role, by name (cached per request)."""
    return _workspaces(user).choices


def pending_invitations(user: User) -> int:
    """Live invitations addressed to the user's email (the navigation's badge), same query."""
    return _workspaces(user).pending_invitations


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
    db.session.execute(
        query.values(workspace_org_id=None).execution_options(synchronize_session=False)
    )
    g.pop("workspace_memberships", None)


def here(user: User, record: UserSession | None) -> tuple[Organization | None, Role | None]:
    """(organization, role) of the current workspace; (None, None) for the personal one."""
    choice = current(user, record)
    return (choice.org, choice.role) if choice else (None, None)
