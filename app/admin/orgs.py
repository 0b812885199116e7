"""GET /admin/orgs: every organization with owner, members and plan, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from sqlalchemy import func, select

from app import paging
from app.admin import bp
from app.admin.queries import PLAN_LABELS
from app.admin.web import url_with
from app.billing.plans import PAID_STATUSES
from app.extensions import db
from app.models import Membership, Organization, Subscription, User


@dataclass(frozen=True)
class OrgRow:
    slug: str
    name: str
    owner: str
    owner_id: int
    members: int
    plan: str
    seats: int | None
    status: str | None


def org_page(page: int, per_page: int) -> paging.Page:
    """Two queries whatever the page size: a bounded count, then the page with its member
    counts grouped once for the page's organizations."""
    ids = select(Organization.id).order_by(Organization.slug)
    found = paging.paginate(ids, page, per_page)
    members = (
        select(Membership.organization_id, func.count().label("n"))
        .where(Membership.organization_id.in_(found.items))
        .group_by(Membership.organization_id)
        .subquery()
    )
    query = (
        select(
            Organization.slug,
            Organization.name,
            User.username,
            User.id,
            func.coalesce(members.c.n, 0),
            Subscription.plan,
            Subscription.seats,
            Subscription.status,
        )
        .join(User, User.id == Organization.owner_id)
        .outerjoin(members, members.c.organization_id == Organization.id)
        .outerjoin(Subscription, Subscription.organization_id == Organization.id)
        .where(Organization.id.in_(found.items))
        .order_by(Organization.slug)
    )
    found.items = (
        [
            OrgRow(
                slug,
                name,
                owner,
                owner_id,
                count,
                PLAN_LABELS.get(plan, plan) if plan and status in PAID_STATUSES else "Free",
                seats if plan == "team" else None,
                status,
            )
            for slug, name, owner, owner_id, count, plan, seats, status in db.session.execute(query)
        ]
        if found.items
        else []
    )
    return found


@bp.get("/orgs")
def orgs():
    return render_template(
        "admin/orgs.html",
        page=org_page(*paging.requested()),
        url_with=url_with,
        sizes=paging.PER_PAGE_CHOICES,
    )
