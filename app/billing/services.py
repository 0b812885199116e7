"""Billing rules: which workspace pays for what, Checkout and Portal, admin grants.

Stripe is reached only through `gateway`; the local subscription state is written by webhooks
(app/billing/webhooks.py) or by an administrator's grant, never by a visit to a success page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit, limits, permissions
from app.billing import gateway
from app.billing.workspaces import OrgWorkspace, PersonalWorkspace, Workspace
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db, utcnow
from app.models import BillingCustomer, Organization, Subscription, User
from app.permissions import Action

PLANS = ("solo", "team")
INTERVALS = ("month", "year")
GRACE = timedelta(days=30)
# A workspace in one of these states pays through Stripe already: the portal manages it.
LIVE_STRIPE_STATUSES = {"active", "trialing", "past_due", "unpaid"}
MAX_SEATS = 1000


class SeatsError(DomainError):
    """Too few seats for the people already in (or invited to) the organization."""

    field = "seats"


class NotConfigured(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Billing is not configured on this site; an administrator can grant plans by hand."
        )


@dataclass(frozen=True)
class Price:
    plan: str
    interval: str
    price_id: str
    amount: int | None  # cents, for display only; Stripe charges what the Price says


def catalog() -> dict[tuple[str, str], Price]:
    """The prices this server offers: only those configured (a posted price id means nothing)."""
    prices = {}
    for plan in PLANS:
        for interval in INTERVALS:
            key = f"STRIPE_PRICE_{plan.upper()}_{interval.upper()}"
            price_id = current_app.config.get(key)
            if price_id:
                amount = str(current_app.config.get(f"{key}_AMOUNT") or "").strip()
                prices[plan, interval] = Price(
                    plan, interval, price_id, int(amount) if amount.isdigit() else None
                )
    return prices


def plan_for_price(price_id: str | None) -> tuple[str, str] | None:
    for (plan, interval), price in catalog().items():
        if price.price_id == price_id:
            return plan, interval
    return None


def subscription_of(workspace: Workspace, lock: bool = False) -> Subscription | None:
    query = select(Subscription).where(workspace.where(Subscription))
    return db.session.scalar(query.with_for_update() if lock else query)


def seats_used(org: Organization) -> int:
    """Members (owner included) plus open invitations: what a Team plan must cover."""
    return limits.seats_used(org)


def owned_org(actor: User, slug: str | None) -> Organization:
    """The organization, if `actor` may manage its subscription: outsiders 404, members 403."""
    org = db.session.scalar(select(Organization).where(Organization.slug == (slug or "").lower()))
    if org is None:
        raise NotFound("Not found.")
    permissions.require(actor, org, Action.MANAGE_SUBSCRIPTION)
    return org


def workspace_for(actor: User, slug: str | None) -> Workspace:
    return OrgWorkspace(owned_org(actor, slug)) if slug else PersonalWorkspace(actor)


def ensure_customer(workspace: Workspace) -> str:
    """The workspace's Stripe customer, created once and remembered.

    Commits at once: the customer exists at Stripe from here on, whatever happens next.
    """
    existing = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(workspace.where(BillingCustomer))
    )
    if existing:
        return existing
    customer_id = gateway.create_customer(
        workspace.billing_email, workspace.label, workspace.metadata
    )
    try:
        with db.session.begin_nested():
            db.session.add(
                BillingCustomer(stripe_customer_id=customer_id, **workspace.owner_fields())
            )
        db.session.commit()
    except IntegrityError:  # a concurrent request made it first: use theirs
        db.session.rollback()
        return db.session.scalars(
            select(BillingCustomer.stripe_customer_id).where(workspace.where(BillingCustomer))
        ).one()
    return customer_id


def start_checkout(
    actor: User,
    plan: str,
    interval: str,
    slug: str | None,
    seats: int | None,
    invoice_details: bool,
) -> str:
    """Validate the choice, then open a Stripe Checkout Session; returns its URL."""
    if not gateway.configured():
        raise NotConfigured()
    if plan == "solo" and slug:
        raise DomainError("Solo is for your personal workspace; organizations take Team.")
    if plan == "team" and not slug:
        raise DomainError("Choose the organization the Team plan is for.")
    workspace = workspace_for(actor, slug)
    price = catalog().get((plan, interval))
    if price is None:
        raise DomainError("That plan is not offered at the moment.")
    quantity = 1
    if isinstance(workspace, OrgWorkspace):
        used = seats_used(workspace.org)
        quantity = seats or used
        if quantity < used:
            raise SeatsError(
                f"{workspace.org.name} has {used} members and pending invitations; "
                f"buy at least {used} seats."
            )
    current = subscription_of(workspace)
    if current and current.source == "stripe" and current.status in LIVE_STRIPE_STATUSES:
        raise Conflict(
            "This workspace already has a subscription: change it in the billing portal."
        )
    customer = ensure_customer(workspace)
    base = current_app.config["BASE_URL"].rstrip("/")
    return gateway.create_checkout_session(
        customer=customer,
        price=price.price_id,
        quantity=quantity,
        client_reference_id=workspace.reference,
        metadata={**workspace.metadata, "plan": plan, "interval": interval},
        success_url=f"{base}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{base}/billing/cancelled",
        collect_invoice_details=invoice_details,
    )


def open_portal(actor: User, slug: str | None) -> str:
    if not gateway.configured():
        raise NotConfigured()
    workspace = workspace_for(actor, slug)
    customer = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(workspace.where(BillingCustomer))
    )
    if customer is None:
        raise Conflict("This workspace has no billing account yet: choose a plan first.")
    base = current_app.config["BASE_URL"].rstrip("/")
    return gateway.create_portal_session(customer, f"{base}/billing")


# --- state changes shared by webhooks and admins -------------------------------------------


def set_status(subscription: Subscription, status: str) -> None:
    """Status with its grace period: a lapse starts 30 days of grace, a recovery ends it."""
    subscription.status = status
    if status in {"past_due", "unpaid", "canceled", "incomplete_expired"}:
        if subscription.grace_until is None:
            subscription.grace_until = utcnow() + GRACE
    elif status in {"active", "trialing"}:
        subscription.grace_until = None


def grant_plan(admin: User, workspace: Workspace, plan: str, seats: int | None) -> Subscription:
    """An administrator's plan for a workspace, without Stripe (self-hosted use)."""
    if (plan == "team") != isinstance(workspace, OrgWorkspace):
        raise DomainError("Solo is for a person, Team for an organization.")
    seats = seats or 1
    if isinstance(workspace, OrgWorkspace) and seats < (used := seats_used(workspace.org)):
        raise SeatsError(f"The organization already uses {used} seats.")
    row = subscription_of(workspace, lock=True)
    if row and row.source == "stripe" and row.status in LIVE_STRIPE_STATUSES:
        raise Conflict("This workspace pays through Stripe; change that subscription there.")
    if row is None:
        row = Subscription(**workspace.owner_fields())
        db.session.add(row)
    row.plan, row.interval, row.seats, row.source = plan, None, seats, "admin"
    row.stripe_subscription_id, row.current_period_end = None, None
    row.cancel_at_period_end, row.stripe_updated = False, 0
    set_status(row, "active")
    audit.record(
        "plan.granted",
        admin,
        **workspace.audit_target(),
        detail=f"{plan}, {seats} seat{'s' if seats != 1 else ''}",
    )
    return row


def revoke_plan(admin: User, workspace: Workspace) -> Subscription:
    row = subscription_of(workspace, lock=True)
    if row is None or row.source != "admin" or row.status not in {"active", "trialing"}:
        raise Conflict("This workspace has no plan granted by an administrator.")
    set_status(row, "canceled")
    audit.record("plan.revoked", admin, **workspace.audit_target(), detail=row.plan)
    return row
