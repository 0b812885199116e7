"""GET /admin/orgs: every organization with owner, members and plan, in one grouped query."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from sqlalchemy import func, select

from app.admin import bp
from app.billing.plans import PAID_STATUSES
from app.extensions import db
from app.models import Membership, Organization, Subscription, User


@dataclass(frozen=True)
class OrgRow:
    slug: str
    name: str
    owner: str
    members: int
    plan: str
    seats: int | None
    status: str | None


def org_rows() -> list[OrgRow]:
    members = (
        select(Membership.organization_id, func.count().label("n"))
        .group_by(Membership.organization_id)
        .subquery()
    )
    query = (
        select(
            Organization.slug,
            Organization.name,
            User.username,
            func.coalesce(members.c.n, 0),
            Subscription.plan,
            Subscription.seats,
            Subscription.status,
        )
        .join(User, User.id == Organization.owner_id)
        .outerjoin(members, members.c.organization_id == Organization.id)
        .outerjoin(Subscription, Subscription.organization_id == Organization.id)
        .order_by(Organization.slug)
    )
    return [
        OrgRow(
            slug,
            name,
            owner,
            count,
            plan if plan and status in PAID_STATUSES else "free",
            seats if plan == "team" else None,
            status,
        )
        for slug, name, owner, count, plan, seats, status in db.session.execute(query)
    ]


@bp.get("/orgs")
def orgs():
    return render_template("admin/orgs.html", rows=org_rows())
