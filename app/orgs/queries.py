"""Reads for the organization pages: one query per table shown, never one per row."""

from __future__ import annotations

import functools

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from app.errors import NotFound
from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Role, User
from app.models.user import name_key
from app.permissions import Action, require

ROLE_ORDER = {Role.OWNER: 0, Role.MAINTAINER: 1, Role.SUPERVISOR: 2, Role.WORKER: 3}


def org_by_slug(slug: str) -> Organization:
    org = db.session.scalar(
        select(Organization)
        .where(Organization.slug == slug.lower()[:40])
        .options(joinedload(Organization.owner, innerjoin=True))
    )
    if org is None:
        raise NotFound("Not found.")
    return org


def org_for_viewer(slug: str, user: User) -> tuple[Organization, Role | None]:
    """The organization and the viewer's role (None for an administrator who is not a member);
    NotFound for everybody else, whether or not the slug exists."""
    org = org_by_slug(slug)
    return org, require(user, org, Action.VIEW_ORG)


def members(org: Organization) -> list[tuple[User, Role]]:
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == org.id)
    )
    return sorted(
        ((u, Role(r)) for u, r in rows),
        key=lambda row: (ROLE_ORDER[row[1]], row[0].display_name.casefold()),
    )


def pending_invitations(org: Organization) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == org.id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def my_orgs(user: User) -> list[tuple[Organization, Role, int]]:
    """The user's organizations with their role and member count: two queries."""
    from app.orgs import workspace

    choices = workspace.memberships(user)
    ids = [c.org.id for c in choices]
    counts = (
        dict(
            db.session.execute(
                select(Membership.organization_id, func.count())
                .where(Membership.organization_id.in_(ids))
                .group_by(Membership.organization_id)
            ).all()
        )
        if ids
        else {}
    )
    return [(c.org, c.role, counts.get(c.org.id, 0)) for c in choices]


def invitation_for_mail(invitation: Invitation) -> Invitation:
    """The invitation again after its commit, with the organization and inviter its mail names."""
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.id == invitation.id)
        .options(joinedload(Invitation.organization), joinedload(Invitation.invited_by))
        .execution_options(populate_existing=True)
    ).one()


def is_expired(invitation: Invitation) -> bool:
    return invitation.expires_at <= utcnow()


@functools.cache
def _waiting_query() -> Select:
    """Built once: on the dashboard, building the statement cost more than running it."""
    return (
        select(Organization.name.label("org_name"), Invitation.role, Invitation.expires_at)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(
            Invitation.email_key == bindparam("email_key"),
            Invitation.accepted_at.is_(None),
            Invitation.declined_at.is_(None),
            Invitation.expires_at > bindparam("now", type_=Invitation.expires_at.type),
        )
        .order_by(Invitation.created_at.desc())
    )


def waiting_for(user: User) -> list[Row]:
    """The invitations waiting for the user's answer as plain rows (org_name, role, expires_at),
    for the dashboard's notice: one query, no objects. The list page uses services.pending_for."""
    if not user.email:
        return []
    params = {"email_key": name_key(user.email), "now": utcnow()}
    return list(db.session.execute(_waiting_query(), params).all())
