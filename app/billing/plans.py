"""The plan in force for a workspace: the single place limits ask (see app/limits.py).

Billing keeps `subscriptions` up to date from Stripe's webhooks or an admin's grant; this module
only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.errors import DomainError
from app.extensions import db, utcnow
from app.models import Organization, Subscription, User

PAID_STATUSES = {"active", "trialing"}
GRACE_STATUSES = {"past_due", "unpaid", "canceled", "incomplete_expired"}


@dataclass(frozen=True)
class PlanState:
    plan: str  # "free" | "solo" | "team" — the plan whose limits apply now
    status: str | None = None  # the subscription's status, None without one
    seats: int | None = None  # Team: paid seats
    grace_until: datetime | None = None  # set while a lapsed plan's data is kept read-only

    @property
    def in_grace(self) -> bool:
        return self.grace_until is not None


FREE = PlanState("free")


def state_of(subscription: Subscription | None) -> PlanState:
    """The plan a subscription row puts in force now (Free without one)."""
    if subscription is None:
        return FREE
    if subscription.status in PAID_STATUSES:
        return PlanState(subscription.plan, subscription.status, subscription.seats)
    grace = subscription.grace_until
    if subscription.status in GRACE_STATUSES and grace is not None and grace > utcnow():
        return PlanState("free", subscription.status, subscription.seats, grace)
    return PlanState("free", subscription.status)


def for_user(user: User) -> PlanState:
    return state_of(db.session.scalar(select(Subscription).where(Subscription.user_id == user.id)))


def for_org(org: Organization) -> PlanState:
    return state_of(
        db.session.scalar(select(Subscription).where(Subscription.organization_id == org.id))
    )


# Stripe goes on charging for these until the subscription is cancelled there.
CHARGING_STATUSES = {"active", "trialing", "past_due", "unpaid", "incomplete"}


def require_not_charging(owner: User | Organization, *, what: str) -> None:
    """Refuse to delete a workspace that Stripe still bills: the charges would go on unseen."""
    column = Subscription.user_id if isinstance(owner, User) else Subscription.organization_id
    status = db.session.scalar(
        select(Subscription.status).where(
            column == owner.id,
            Subscription.source == "stripe",
            Subscription.status.in_(CHARGING_STATUSES),
        )
    )
    if status is not None:
        raise DomainError(
            f"{what} has a Stripe subscription ({status}). Cancel it in the "
            "billing portal first; nothing was deleted."
        )
