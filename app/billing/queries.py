"""Reads for the billing pages: a fixed number of queries whatever the number of workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from app import settings
from app.billing import plans, services
from app.extensions import db, utcnow
from app.models import BillingCustomer, Invitation, Membership, Organization, Subscription, User


@dataclass(frozen=True)
class WorkspaceBilling:
    label: str
    slug: str | None  # None: the personal workspace
    state: plans.PlanState
    subscription: Subscription | None
    has_customer: bool
    seats_used: int | None = None

    @property
    def pays_through_stripe(self) -> bool:
        sub = self.subscription
        return bool(sub and sub.source == "stripe" and sub.status in services.LIVE_STRIPE_STATUSES)

    @property
    def granted(self) -> bool:
        sub = self.subscription
        return bool(sub and sub.source == "admin" and sub.status in plans.PAID_STATUSES)

    @property
    def period_end(self) -> datetime | None:
        return self.subscription.current_period_end if self.subscription else None


@dataclass(frozen=True)
class PlanOffer:
    plan: str
    month: services.Price | None
    year: services.Price | None

    @property
    def yearly_saving(self) -> int | None:
        """Percent saved by paying yearly, when both amounts are known."""
        if not (self.month and self.year and self.month.amount and self.year.amount):
            return None
        full = self.month.amount * 12
        return round(100 * (full - self.year.amount) / full) if full > self.year.amount else None


def offers() -> list[PlanOffer]:
    prices = services.catalog()
    return [
        PlanOffer(plan, prices.get((plan, "month")), prices.get((plan, "year")))
        for plan in services.PLANS
    ]


def workspaces(user: User) -> list[WorkspaceBilling]:
    """The person's own workspace, then every organization they own."""
    orgs = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.owner_id == user.id)
            .order_by(Organization.name, Organization.id)
        )
    )
    org_ids = [org.id for org in orgs]
    owner_of = or_(Subscription.user_id == user.id, Subscription.organization_id.in_(org_ids))
    subs = list(db.session.scalars(select(Subscription).where(owner_of)))
    customers = set(
        db.session.execute(
            select(BillingCustomer.user_id, BillingCustomer.organization_id).where(
                or_(
                    BillingCustomer.user_id == user.id, BillingCustomer.organization_id.in_(org_ids)
                )
            )
        )
    )
    members = dict(
        db.session.execute(
            select(Membership.organization_id, func.count())
            .where(Membership.organization_id.in_(org_ids))
            .group_by(Membership.organization_id)
        ).all()
    )
    pending = dict(
        db.session.execute(
            select(Invitation.organization_id, func.count())
            .where(
                Invitation.organization_id.in_(org_ids),
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .group_by(Invitation.organization_id)
        ).all()
    )
    mine = next((s for s in subs if s.user_id == user.id), None)
    rows = [
        WorkspaceBilling(
            f"{user.display_name} (personal)",
            None,
            plans.state_of(mine),
            mine,
            (user.id, None) in customers,
        )
    ]
    for org in orgs:
        sub = next((s for s in subs if s.organization_id == org.id), None)
        rows.append(
            WorkspaceBilling(
                org.name,
                org.slug,
                plans.state_of(sub),
                sub,
                (None, org.id) in customers,
                members.get(org.id, 0) + pending.get(org.id, 0),
            )
        )
    return rows


def free_limits() -> dict[str, int]:
    return {
        "projects": settings.get("free_personal_projects"),
        "orgs": settings.get("free_owned_orgs"),
        "members": settings.get("free_org_members"),
        "org_projects": settings.get("free_org_projects"),
    }
