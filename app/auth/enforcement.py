"""Who must use a second factor (SPEC §10), and by when: the admin settings (administrators,
everyone) and organizations whose owner requires it of members. A person who must and has none
may, once the grace period is over, reach only the enrollment pages (app/auth/setup.py).

The check costs nothing on most pages: a person with a factor is never asked, and for one
without, only a site-wide requirement or a deadline set by an organization's requirement
(users.factor_deadline) leads to the query of `requirement`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app import settings
from app.auth import factors
from app.extensions import db, utcnow
from app.models import Membership, Organization, User
from app.transactions import write_transaction


def _site_requires(user: User) -> bool:
    return bool(
        settings.get("require_2fa_everyone")
        or (user.is_admin and settings.get("require_2fa_admins"))
    )


def requirement(user: User) -> str | None:
    """Why the person must use a second factor, in words, or None if nobody requires it."""
    if settings.get("require_2fa_everyone"):
        return "This site requires a second factor of everyone."
    if user.is_admin and settings.get("require_2fa_admins"):
        return "This site requires a second factor of administrators."
    org = db.session.scalar(
        select(Organization.name)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id, Organization.require_2fa.is_(True))
        .order_by(Organization.name)
        .limit(1)
    )
    return f"{org} requires a second factor of its members." if org else None


def _grace() -> timedelta:
    return timedelta(days=settings.get("factor_grace_days"))


def enrollment_due(user: User) -> bool:
    """Whether the person may now do nothing but enroll a second factor."""
    if factors.has_second_factor(user):
        return False
    if not _site_requires(user) and user.factor_deadline is None:
        return False
    required = requirement(user) is not None
    if required == (user.factor_deadline is not None):
        return required and utcnow() >= user.factor_deadline  # type: ignore[operator]
    with write_transaction():  # the grace period starts now, or the requirement went away
        user.factor_deadline = utcnow() + _grace() if required else None
    return required and utcnow() >= user.factor_deadline  # type: ignore[operator]


def members_now_required(org: Organization) -> None:
    """The owner turned the requirement on: members without a factor get their grace period
    (those with a deadline already keep the earlier one)."""
    members = select(Membership.user_id).where(Membership.organization_id == org.id)
    db.session.execute(
        update(User)
        .where(
            User.id.in_(members),
            User.second_factor_at.is_(None),
            User.factor_deadline.is_(None),
        )
        .values(factor_deadline=utcnow() + _grace())
        .execution_options(synchronize_session=False)
    )


def joined(user: User, org: Organization) -> None:
    """A new member of an organization that requires a second factor."""
    if org.require_2fa and not factors.has_second_factor(user) and user.factor_deadline is None:
        user.factor_deadline = utcnow() + _grace()
