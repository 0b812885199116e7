"""Stripe webhooks: signed payloads in the current API shape, as Stripe would deliver them."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.billing import plans, webhooks
from app.extensions import db, utcnow
from app.models import AuditEvent, BillingCustomer, StripeEvent, Subscription, User
from tests.billing.conftest import checkout_session, event, invoice, sign, subscription
from tests.conftest import needs_postgres


def _row(**where) -> Subscription | None:
    db.session.expire_all()
    return db.session.scalar(select(Subscription).filter_by(**where))


def _audits(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(StripeEvent))


def _org_meta(org) -> dict:
    return {
        "workspace_kind": "org",
        "workspace_id": str(org.id),
        "plan": "team",
        "interval": "month",
    }


@pytest.fixture
def acme(make_user, make_org):
    return make_org(make_user(), "acme")


def test_checkout_then_subscription_events_activate_the_team_plan(deliver, acme):
    meta = _org_meta(acme)
    now = int(time.time())
    response = deliver(
        event("checkout.session.completed", checkout_session(f"org_{acme.id}", meta), now)
    )
    assert response.status_code == 200
    row = _row(organization_id=acme.id)
    assert row.stripe_subscription_id == "sub_test_1" and row.status == "incomplete"
    assert plans.for_org(acme).plan == "free"
    assert (
        db.session.scalar(
            select(BillingCustomer.stripe_customer_id).where(
                BillingCustomer.organization_id == acme.id
            )
        )
        == "cus_test_1"
    )

    end = now + 30 * 86400
    deliver(
        event(
            "customer.subscription.created",
            subscription(quantity=3, period_end=end, metadata=meta),
            now + 1,
        )
    )
    row = _row(organization_id=acme.id)
    assert (row.plan, row.interval, row.status, row.seats) == ("team", "month", "active", 3)
    assert int(row.current_period_end.timestamp()) == end
    assert plans.for_org(acme) == plans.PlanState("team", "active", 3)
    assert _audits("subscription.created") == 1


def test_subscription_event_before_checkout_event_ends_the_same(deliver, acme):
    meta = _org_meta(acme)
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(quantity=4, metadata=meta), now))
    deliver(event("checkout.session.completed", checkout_session(f"org_{acme.id}", meta), now))
    row = _row(organization_id=acme.id)
    assert (row.status, row.seats, row.plan) == ("active", 4, "team")
    assert _audits("subscription.created") == 1


def test_solo_for_a_person_found_by_customer_and_yearly_price(deliver, make_user):
    user = make_user()
    db.session.add(BillingCustomer(user_id=user.id, stripe_customer_id="cus_solo"))
    db.session.commit()
    deliver(
        event(
            "customer.subscription.created",
            subscription(
                "sub_solo",
                customer="cus_solo",
                price="price_solo_year",
                interval="year",
                quantity=1,
            ),
        )
    )
    row = _row(user_id=user.id)
    assert (row.plan, row.interval, row.status) == ("solo", "year", "active")
    assert plans.for_user(user).plan == "solo"


def test_seats_and_cancel_at_period_end_follow_updates(deliver, acme, client, login_as):
    meta = _org_meta(acme)
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(metadata=meta), now))
    deliver(
        event(
            "customer.subscription.updated",
            subscription(
                quantity=5,
                price="price_team_year",
                interval="year",
                cancel_at_period_end=True,
                metadata=meta,
            ),
            now + 5,
        )
    )
    row = _row(organization_id=acme.id)
    assert (row.seats, row.interval, row.cancel_at_period_end) == (5, "year", True)
    assert plans.for_org(acme).seats == 5
    login_as(db.session.get(User, acme.owner_id))  # relationships are lazy="raise"
    page = client.get("/billing").get_data(as_text=True)
    assert "of 5 paid" in page and "Ends on" in page


def test_past_due_starts_grace_and_a_paid_invoice_ends_it(deliver, acme):
    meta = _org_meta(acme)
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(metadata=meta), now))
    deliver(event("invoice.payment_failed", invoice(status="open"), now + 10))
    row = _row(organization_id=acme.id)
    assert row.status == "past_due"
    assert abs(row.grace_until - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    state = plans.for_org(acme)
    assert state.plan == "free" and state.in_grace
    first_grace = row.grace_until
    deliver(
        event(
            "customer.subscription.updated",
            subscription(status="past_due", metadata=meta),
            now + 11,
        )
    )
    assert _row(organization_id=acme.id).grace_until == first_grace  # kept, not extended
    deliver(event("invoice.paid", invoice(), now + 20))
    row = _row(organization_id=acme.id)
    assert (row.status, row.grace_until) == ("active", None)
    assert plans.for_org(acme).plan == "team"


def test_deletion_cancels_with_grace_and_is_counted(deliver, acme):
    meta = _org_meta(acme)
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(metadata=meta), now))
    deliver(
        event(
            "customer.subscription.deleted", subscription(status="canceled", metadata=meta), now + 5
        )
    )
    row = _row(organization_id=acme.id)
    assert row.status == "canceled" and row.grace_until is not None
    assert plans.for_org(acme).in_grace
    assert _audits("subscription.cancelled") == 1


def test_a_repeated_event_takes_effect_once(deliver, acme):
    meta = _org_meta(acme)
    created = event("customer.subscription.created", subscription(metadata=meta))
    failed = event("invoice.payment_failed", invoice(status="open"), created["created"] + 1)
    for evt in (created, failed):
        assert deliver(evt).status_code == 200
    grace = _row(organization_id=acme.id).grace_until
    for evt in (created, failed):
        response = deliver(evt)
        assert response.status_code == 200 and response.json["result"] == "duplicate"
    assert _events() == 2
    assert _audits("subscription.created") == 1
    assert _row(organization_id=acme.id).grace_until == grace


def test_out_of_order_events_end_in_the_right_state(deliver, acme):
    meta = _org_meta(acme)
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(metadata=meta), now))
    deliver(
        event("customer.subscription.updated", subscription(quantity=5, metadata=meta), now + 10)
    )
    deliver(
        event("customer.subscription.updated", subscription(quantity=4, metadata=meta), now + 5)
    )  # older, arrives last
    assert _row(organization_id=acme.id).seats == 5
    deliver(
        event(
            "customer.subscription.deleted",
            subscription(status="canceled", quantity=5, metadata=meta),
            now + 30,
        )
    )
    deliver(
        event("customer.subscription.updated", subscription(quantity=6, metadata=meta), now + 20)
    )
    deliver(event("invoice.paid", invoice(), now + 25))
    row = _row(organization_id=acme.id)
    assert (row.status, row.seats) == ("canceled", 5)


def _assert_nothing_changed(acme):
    assert _events() == 0
    assert _row(organization_id=acme.id) is None


def test_a_bad_or_missing_signature_is_refused(deliver, acme):
    evt = event("customer.subscription.created", subscription(metadata=_org_meta(acme)))
    assert deliver(evt, secret="whsec_someone_else").status_code == 400
    assert deliver(evt, header="").status_code == 400
    assert deliver(evt, header="t=123,v1=deadbeef").status_code == 400
    _assert_nothing_changed(acme)


def test_a_tampered_body_is_refused(client, acme):
    evt = event("customer.subscription.created", subscription(metadata=_org_meta(acme)))
    signed = json.dumps(evt)
    evt["data"]["object"]["items"]["data"][0]["quantity"] = 500
    response = client.post(
        "/billing/webhook",
        data=json.dumps(evt),
        headers={"Stripe-Signature": sign(signed)},
        content_type="application/json",
    )
    assert response.status_code == 400
    _assert_nothing_changed(acme)


def test_a_stale_timestamp_is_refused(deliver, acme):
    evt = event("customer.subscription.created", subscription(metadata=_org_meta(acme)))
    assert deliver(evt, timestamp=int(time.time()) - 301).status_code == 400
    _assert_nothing_changed(acme)
    assert deliver(evt, timestamp=int(time.time()) - 200).status_code == 200


def test_unknown_event_types_are_acknowledged_and_ignored(deliver, acme):
    response = deliver(event("customer.tax_id.created", {"id": "txi_1", "object": "tax_id"}))
    assert response.status_code == 200 and response.json["result"] == "ignored"
    _assert_nothing_changed(acme)


@needs_postgres()
def test_concurrent_duplicates_take_effect_once(app, acme, deliver, monkeypatch):
    original = webhooks._apply

    def slow_apply(evt):  # hold the first transaction open while the second one arrives
        time.sleep(0.5)
        original(evt)

    monkeypatch.setattr(webhooks, "_apply", slow_apply)
    evt = event("customer.subscription.created", subscription(metadata=_org_meta(acme)))
    start = threading.Barrier(2)
    results = []

    def post():
        start.wait()
        results.append(deliver(evt, target=app.test_client()).json["result"])

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(results) == ["applied", "duplicate"]
    assert _events() == 1
    assert _audits("subscription.created") == 1
    assert _row(organization_id=acme.id).status == "active"
