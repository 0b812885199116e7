"""Billing fixtures: Stripe configured, a recording fake at the gateway boundary, signed events.

Stripe's servers cannot be reached from this machine and no local server has Checkout or the
Customer Portal (see STRIPE-TESTING.md), so the tests of those two replace the Stripe client the
gateway makes with `FakeStripe`, which records the parameters and answers with a session URL.
Everything else about Stripe that can run here runs against localstripe (test_localstripe.py).
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
import stripe

from app.billing import gateway
from app.extensions import db
from app.models import Invitation, Membership, Organization, Role

WEBHOOK_SECRET = "whsec_gatehouse_test_secret"
PRICES = {
    "STRIPE_PRICE_SOLO_MONTH": "price_solo_month",
    "STRIPE_PRICE_SOLO_YEAR": "price_solo_year",
    "STRIPE_PRICE_TEAM_MONTH": "price_team_month",
    "STRIPE_PRICE_TEAM_YEAR": "price_team_year",
    "STRIPE_PRICE_SOLO_MONTH_AMOUNT": "900",
    "STRIPE_PRICE_SOLO_YEAR_AMOUNT": "9000",
    "STRIPE_PRICE_TEAM_MONTH_AMOUNT": "800",
    "STRIPE_PRICE_TEAM_YEAR_AMOUNT": "8000",
}
STRIPE_CONFIG = {
    "STRIPE_SECRET_KEY": "sk_test_gatehouse",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    **PRICES,
}
NOT_CONFIGURED = {"STRIPE_SECRET_KEY": None, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture
def app_overrides() -> dict:
    return dict(STRIPE_CONFIG)


class _Result(dict):
    def to_dict(self) -> dict:
        return dict(self)


class _Endpoint:
    def __init__(self, fake: FakeStripe, name: str, answer) -> None:
        self.fake, self.name, self.answer = fake, name, answer

    def create(self, params=None, options=None):
        self.fake.calls.append((self.name, params))
        if self.fake.error is not None:
            raise self.fake.error
        return _Result(self.answer(params))


class FakeStripe:
    """Stands in for stripe.StripeClient: records each call's parameters (a fake, see above)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.error: Exception | None = None
        numbers = itertools.count(1)
        ns = type("NS", (), {})
        self.v1 = ns()
        self.v1.customers = _Endpoint(
            self, "customers.create", lambda p: {"id": f"cus_fake{next(numbers)}"}
        )
        self.v1.checkout = ns()
        self.v1.checkout.sessions = _Endpoint(
            self,
            "checkout.sessions.create",
            lambda p: {
                "id": "cs_test_fake",
                "url": "https://checkout.stripe.com/c/pay/cs_test_fake",
            },
        )
        self.v1.billing_portal = ns()
        self.v1.billing_portal.sessions = _Endpoint(
            self,
            "billing_portal.sessions.create",
            lambda p: {"url": "https://billing.stripe.com/p/session/fake"},
        )

    def params(self, name: str) -> list[dict]:
        return [params for called, params in self.calls if called == name]


@pytest.fixture
def fake_stripe(monkeypatch) -> FakeStripe:
    fake = FakeStripe()
    monkeypatch.setattr(gateway, "make_client", lambda key, api_base=None: fake)
    return fake


@pytest.fixture
def make_org(factory):
    def make(owner, slug="acme", members=(), invitations=()):
        org = Organization(slug=slug, name=slug.title() + " Ltd", owner_id=owner.id)
        db.session.add(org)
        db.session.flush()
        db.session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
        for user, role in members:
            db.session.add(Membership(organization_id=org.id, user_id=user.id, role=role))
        for email in invitations:
            invitation, _token = Invitation.issue(org, email, Role.WORKER, owner, 7)
            db.session.add(invitation)
        db.session.commit()
        return org

    return make


# --- signed events in the current API shape ------------------------------------------------

_event_numbers = itertools.count(1)


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def event(kind: str, obj: dict, created: int | None = None, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{next(_event_numbers)}_{int(time.time() * 1000)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj},
    }


def subscription(
    sub_id: str = "sub_test_1",
    *,
    customer: str = "cus_test_1",
    price: str = "price_team_month",
    interval: str = "month",
    quantity: int = 3,
    status: str = "active",
    period_end: int | None = None,
    cancel_at_period_end: bool = False,
    metadata: dict | None = None,
) -> dict:
    now = int(time.time())
    period_end = period_end or now + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "eur",
        "metadata": metadata or {},
        "latest_invoice": "in_test_1",
        "livemode": False,
        "items": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": "si_test_1",
                    "object": "subscription_item",
                    "quantity": quantity,
                    "current_period_start": now,
                    "current_period_end": period_end,
                    "price": {
                        "id": price,
                        "object": "price",
                        "active": True,
                        "currency": "eur",
                        "type": "recurring",
                        "unit_amount": 800,
                        "recurring": {
                            "interval": interval,
                            "interval_count": 1,
                            "usage_type": "licensed",
                        },
                    },
                    "subscription": sub_id,
                }
            ],
        },
    }


def invoice(
    sub_id: str = "sub_test_1", *, customer: str = "cus_test_1", status: str = "paid"
) -> dict:
    return {
        "id": f"in_test_{next(_event_numbers)}",
        "object": "invoice",
        "customer": customer,
        "status": status,
        "billing_reason": "subscription_cycle",
        "amount_due": 2400,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {"metadata": {}, "subscription": sub_id},
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_1",
                    "object": "line_item",
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": sub_id,
                            "subscription_item": "si_test_1",
                        },
                    },
                }
            ],
        },
    }


def checkout_session(
    reference: str, metadata: dict, *, sub_id: str = "sub_test_1", customer: str = "cus_test_1"
) -> dict:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": reference,
        "customer": customer,
        "subscription": sub_id,
        "metadata": metadata,
        "amount_total": 2400,
        "currency": "eur",
    }


@pytest.fixture
def deliver(client):
    """POST an event signed the way Stripe signs it; returns the response."""

    def post(
        evt: dict,
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        header: str | None = None,
        target=None,
    ):
        payload = json.dumps(evt)
        headers = (
            {} if header == "" else {"Stripe-Signature": header or sign(payload, secret, timestamp)}
        )
        return (target or client).post(
            "/billing/webhook", data=payload, headers=headers, content_type="application/json"
        )

    return post
