"""Stripe webhook events onto the local `subscriptions` rows.

Each event id is inserted into `stripe_events` in the same transaction as its effect, so a
repeated delivery, even a concurrent one, fails on the primary key and changes nothing. Events
may arrive in any order: a subscription row remembers the `created` time of the newest event
applied (`stripe_updated`) and older ones are recorded but not applied; a canceled Stripe
subscription never comes back to life (Stripe cannot revive one either).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.billing import event_shape, services
from app.billing.event_shape import CHECKOUT_COMPLETED, HANDLED, SUBSCRIPTION_EVENTS
from app.billing.workspaces import OrgWorkspace, PersonalWorkspace, Workspace
from app.extensions import db
from app.models import BillingCustomer, Organization, StripeEvent, Subscription, User

log = logging.getLogger("gatehouse.billing")

PAID = {"active", "trialing"}


def process(event: Any) -> str:
    """Apply a verified event once; returns "applied", "duplicate" or "ignored".

    Its shape is checked first, once for every handler (event_shape.MalformedEvent: the
    caller answers 400 and nothing is written)."""
    event = event_shape.check(event)
    if event["type"] not in HANDLED:
        return "ignored"
    for _attempt in range(3):
        try:
            db.session.add(
                StripeEvent(id=event["id"], type=event["type"][:80], created=event["created"])
            )
            db.session.flush()  # a repeated id stops here, before any effect
            _apply(event)
            db.session.commit()
            return "applied"
        except IntegrityError:
            db.session.rollback()
            if db.session.get(StripeEvent, event["id"]) is not None:
                return "duplicate"
            # Another event created the same workspace's row meanwhile: try again, it exists now.
    raise RuntimeError(f"stripe event {event['id']} could not be applied")


def _apply(event: dict) -> None:
    obj = event["data"]["object"]
    created = event["created"]
    kind = event["type"]
    if kind == CHECKOUT_COMPLETED:
        _checkout_completed(obj)
    elif kind in SUBSCRIPTION_EVENTS:
        _subscription_changed(obj, created, deleted=kind.endswith(".deleted"))
    elif kind == "invoice.payment_failed":
        _invoice(obj, created, "past_due")
    else:
        _invoice(obj, created, "active")


# --- finding the workspace ------------------------------------------------------------------


def _workspace_from_metadata(metadata: dict | None) -> Workspace | None:
    metadata = metadata or {}
    kind, raw_id = metadata.get("workspace_kind"), str(metadata.get("workspace_id") or "")
    if not raw_id.isdigit():
        return None
    if kind == "org":
        org = db.session.get(Organization, int(raw_id))
        return OrgWorkspace(org) if org else None
    if kind == "user":
        user = db.session.get(User, int(raw_id))
        return PersonalWorkspace(user) if user else None
    return None


def _workspace_from_reference(reference: str | None) -> Workspace | None:
    kind, _, raw_id = (reference or "").partition("_")
    return _workspace_from_metadata({"workspace_kind": kind, "workspace_id": raw_id})


def _workspace_from_customer(customer: str | None) -> Workspace | None:
    if not customer:
        return None
    row = db.session.scalar(
        select(BillingCustomer).where(BillingCustomer.stripe_customer_id == customer)
    )
    if row is None:
        return None
    if row.organization_id:
        return _workspace_from_metadata(
            {"workspace_kind": "org", "workspace_id": row.organization_id}
        )
    return _workspace_from_metadata({"workspace_kind": "user", "workspace_id": row.user_id})


def _row_for(subscription_id: str, workspace: Workspace | None) -> Subscription | None:
    """The local row, locked: by Stripe's subscription id, else the workspace's own row."""
    row = db.session.scalar(
        select(Subscription)
        .with_for_update()
        .where(Subscription.stripe_subscription_id == subscription_id)
    )
    if row is None and workspace is not None:
        row = services.subscription_of(workspace, lock=True)
    return row


def _remember_customer(workspace: Workspace, customer: str | None) -> None:
    if not customer or db.session.scalar(
        select(BillingCustomer.id).where(workspace.where(BillingCustomer))
    ):
        return
    db.session.add(BillingCustomer(stripe_customer_id=customer, **workspace.owner_fields()))


# --- the events -----------------------------------------------------------------------------


def _checkout_completed(session: dict) -> None:
    """Tie the new subscription to the workspace; its status comes from the subscription's
    own events, which may arrive before or after this one."""
    if session.get("mode") != "subscription" or not session.get("subscription"):
        return
    subscription_id = _id(session["subscription"])
    if subscription_id is None:
        return
    workspace = _workspace_from_reference(
        session.get("client_reference_id")
    ) or _workspace_from_metadata(session.get("metadata"))
    if workspace is None:
        log.warning("checkout session %s names no known workspace", session.get("id"))
        return
    _remember_customer(workspace, _id(session.get("customer")))
    row = _row_for(subscription_id, workspace)
    if row is not None and row.stripe_subscription_id == subscription_id:
        return
    if row is not None and row.source == "stripe" and row.status in PAID:
        log.warning("checkout %s for a workspace that already pays", session.get("id"))
        return
    metadata = session.get("metadata") or {}
    if row is None:
        row = Subscription(**workspace.owner_fields())
        db.session.add(row)
    row.plan = _plan_named(metadata) or ("team" if isinstance(workspace, OrgWorkspace) else "solo")
    row.interval = metadata.get("interval")
    row.source, row.stripe_subscription_id, row.stripe_updated = "stripe", subscription_id, 0
    row.status, row.grace_until = "incomplete", None


def _subscription_changed(sub: dict, created: int, deleted: bool) -> None:
    workspace = _workspace_from_metadata(sub.get("metadata")) or _workspace_from_customer(
        _id(sub.get("customer"))
    )
    row = _row_for(sub["id"], workspace)
    if row is None and workspace is None:
        log.warning("subscription %s belongs to no known workspace", sub.get("id"))
        return
    if row is not None and row.stripe_subscription_id != sub["id"]:
        # Another subscription (or an admin grant) holds this workspace: a new live one takes
        # its place; news about an older one changes nothing.
        if sub.get("status") not in PAID or deleted:
            return
        row.stripe_updated = 0
    if row is None:
        assert workspace is not None  # checked above: there is a row or a workspace
        row = Subscription(**workspace.owner_fields(), status="incomplete", seats=1)
        db.session.add(row)
    if row.stripe_subscription_id == sub["id"] and (
        created < (row.stripe_updated or 0) or (row.status == "canceled" and not deleted)
    ):
        return  # older than what we have, or about a subscription that has ended
    before = _snapshot(row)
    _copy_subscription(row, sub, "canceled" if deleted else sub.get("status") or "incomplete")
    row.stripe_updated = created
    if workspace is not None:
        _remember_customer(workspace, _id(sub.get("customer")))
    _audit(row, before)


def _copy_subscription(row: Subscription, sub: dict, status: str) -> None:
    items = (sub.get("items") or {}).get("data") or [{}]
    item = items[0] or {}
    price = item.get("price") or item.get("plan") or sub.get("plan") or {}
    known = services.plan_for_price(price.get("id"))
    metadata = sub.get("metadata") or {}
    row.plan = known[0] if known else (_plan_named(metadata) or row.plan or "solo")
    row.interval = (
        (price.get("recurring") or {}).get("interval")
        or price.get("interval")
        or (known[1] if known else row.interval)
    )
    row.seats = int(item.get("quantity") or sub.get("quantity") or 1)
    period_end = item.get("current_period_end") or sub.get("current_period_end")
    row.current_period_end = _time(period_end) if period_end else row.current_period_end
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    row.source, row.stripe_subscription_id = "stripe", sub["id"]
    services.set_status(row, status)


def _invoice(invoice: dict, created: int, status: str) -> None:
    subscription_id = _invoice_subscription(invoice)
    if not subscription_id:
        return
    row = _row_for(subscription_id, None)
    if row is None or created < (row.stripe_updated or 0) or row.status == "canceled":
        return
    # Only a lapse or its recovery: the rest of the state comes from the subscription's events.
    if status == "active" and row.status not in {"past_due", "unpaid"}:
        return
    if status == "past_due" and row.status not in PAID:
        return
    before = _snapshot(row)
    services.set_status(row, status)
    row.stripe_updated = created
    _audit(row, before)


def _invoice_subscription(invoice: dict) -> str | None:
    """Where the subscription id sits: `parent` since API 2025-03-31, top level before."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    if details.get("subscription"):
        return _id(details["subscription"])
    if invoice.get("subscription"):
        return _id(invoice["subscription"])
    for line in (invoice.get("lines") or {}).get("data") or []:
        item = (line.get("parent") or {}).get("subscription_item_details") or {}
        if item.get("subscription"):
            return _id(item["subscription"])
    return None


# --- audit: the statistics count subscription.created / subscription.cancelled -------------


def _snapshot(row: Subscription) -> tuple:
    return (
        row.stripe_subscription_id,
        row.status,
        row.plan,
        row.interval,
        row.seats,
        row.cancel_at_period_end,
    )


def _audit(row: Subscription, before: tuple) -> None:
    after = _snapshot(row)
    if after == before:
        return
    db.session.flush()
    target = _audit_target(row)
    detail = f"{row.plan} {row.interval or ''} {row.seats} seat(s), {row.status}" + (
        ", ends at period end" if row.cancel_at_period_end else ""
    )
    same = before[0] == row.stripe_subscription_id
    if row.status in PAID and (not same or before[1] in {None, "incomplete"}):
        action = "subscription.created"
    elif row.status == "canceled" and not (same and before[1] == "canceled"):
        action = "subscription.cancelled"
    else:
        action = "subscription.updated"
    audit.record(action, None, detail=detail, **target)


def _plan_named(metadata: dict) -> str | None:
    plan = metadata.get("plan")
    return plan if isinstance(plan, str) and plan in services.PLANS else None


def _audit_target(row: Subscription) -> dict:
    if row.organization_id:
        org = db.session.get_one(Organization, row.organization_id)
        return {"org": org, "target": org.slug}
    return {"target_user": db.session.get(User, row.user_id)}


def _id(value) -> str | None:
    """Stripe sends either an id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def _time(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)
