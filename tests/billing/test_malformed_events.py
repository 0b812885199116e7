"""Validly signed but malformed Stripe events: 400 and nothing changes, never a 500.

The signature proves the body came from whoever holds the webhook secret, not that it has the
shape the handlers read; a 500 would make Stripe retry the same body for three days.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, BillingCustomer, StripeEvent, Subscription
from tests.billing.conftest import checkout_session, event, invoice, sign, subscription

LONG = "x" * 5000


def _meta(org_id: int) -> dict:
    return {"workspace_kind": "org", "workspace_id": str(org_id), "plan": "team"}


def _sub(evt: dict) -> dict:
    return evt["data"]["object"]


def _item(evt: dict) -> dict:
    return evt["data"]["object"]["items"]["data"][0]


def _set(getter: Callable[[dict], dict], key: str, value) -> Callable[[dict], None]:
    def change(evt: dict) -> None:
        getter(evt)[key] = value

    return change


def _drop(getter: Callable[[dict], dict], key: str) -> Callable[[dict], None]:
    return lambda evt: getter(evt).pop(key)


def _envelope(evt: dict) -> dict:
    return evt


def _data(evt: dict) -> dict:
    return evt["data"]


SUBSCRIPTION_CASES = {
    "no object id": _drop(_sub, "id"),
    "object id not a string": _set(_sub, "id", 17),
    "object id of 5000 characters": _set(_sub, "id", LONG),
    "created is text": _set(_envelope, "created", "abc"),
    "created is a fraction": _set(_envelope, "created", 1.5),
    "created is negative": _set(_envelope, "created", -1),
    "created beyond any column": _set(_envelope, "created", 10**20),
    "no created": _drop(_envelope, "created"),
    "event id of 5000 characters": _set(_envelope, "id", LONG),
    "event id empty": _set(_envelope, "id", ""),
    "event id a number": _set(_envelope, "id", 5),
    "type a list": _set(_envelope, "type", ["customer.subscription.created"]),
    "no data.object": _drop(_data, "object"),
    "data.object a list": _set(_data, "object", [1, 2]),
    "data a string": _set(_envelope, "data", "nothing"),
    "status of 5000 characters": _set(_sub, "status", LONG),
    "status unknown": _set(_sub, "status", "hacked"),
    "metadata a list": _set(_sub, "metadata", ["plan"]),
    "metadata plan a list": lambda evt: _sub(evt)["metadata"].update(plan=["team"]),
    "customer a number": _set(_sub, "customer", 12345),
    "customer of 5000 characters": _set(_sub, "customer", LONG),
    "cancel_at_period_end text": _set(_sub, "cancel_at_period_end", "yes"),
    "items not an object": _set(_sub, "items", "many"),
    "items.data not a list": lambda evt: _sub(evt)["items"].update(data={"0": {}}),
    "item a string": lambda evt: _sub(evt)["items"].update(data=["si_1"]),
    "quantity text": _set(_item, "quantity", "lots"),
    "quantity beyond the column": _set(_item, "quantity", 10**12),
    "quantity a boolean": _set(_item, "quantity", True),
    "period end text": _set(_item, "current_period_end", "soon"),
    "period end beyond year 9999": _set(_item, "current_period_end", 10**15),
    "price a string": _set(_item, "price", "price_team_month"),
    "interval of 5000 characters": lambda evt: _item(evt)["price"]["recurring"].update(
        interval=LONG
    ),
}


@pytest.fixture
def acme(make_user, make_org):
    return make_org(make_user(), "acme")


def _post(client, evt) -> int:
    payload = json.dumps(evt)
    response = client.post(
        "/billing/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload)},
        content_type="application/json",
    )
    return response.status_code


def _nothing_changed() -> None:
    db.session.expire_all()
    for model in (StripeEvent, Subscription, BillingCustomer, AuditEvent):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


@pytest.mark.parametrize("case", SUBSCRIPTION_CASES)
def test_a_malformed_subscription_event_is_refused(client, acme, case):
    evt = event("customer.subscription.created", subscription(metadata=_meta(acme.id)))
    SUBSCRIPTION_CASES[case](evt)
    assert _post(client, evt) == 400
    _nothing_changed()


CHECKOUT_CASES = {
    "subscription a number": lambda obj: obj.update(subscription=42),
    "subscription object without id": lambda obj: obj.update(subscription={"object": "sub"}),
    "reference an object": lambda obj: obj.update(client_reference_id={"org": 1}),
    "metadata interval of 5000 characters": lambda obj: obj["metadata"].update(interval=LONG),
    "metadata value a number": lambda obj: obj["metadata"].update(workspace_id=7),
    "mode a list": lambda obj: obj.update(mode=["subscription"]),
}


@pytest.mark.parametrize("case", CHECKOUT_CASES)
def test_a_malformed_checkout_event_is_refused(client, acme, case):
    obj = checkout_session(f"org_{acme.id}", {**_meta(acme.id), "interval": "month"})
    CHECKOUT_CASES[case](obj)
    assert _post(client, event("checkout.session.completed", obj)) == 400
    _nothing_changed()


INVOICE_CASES = {
    "parent a string": lambda obj: obj.update(parent="sub_1"),
    "subscription of 5000 characters": lambda obj: obj["parent"]["subscription_details"].update(
        subscription=LONG
    ),
    "lines.data of strings": lambda obj: obj.update(parent=None, lines={"data": ["il_1"]}),
    "lines a list": lambda obj: obj.update(parent=None, lines=[]),
}


@pytest.mark.parametrize("case", INVOICE_CASES)
def test_a_malformed_invoice_event_is_refused(client, acme, case):
    obj = invoice()
    INVOICE_CASES[case](obj)
    assert _post(client, event("invoice.payment_failed", obj)) == 400
    _nothing_changed()


@pytest.mark.parametrize("body", ["[]", '"evt"', "null", '{"id": "evt_1"}'])
def test_a_signed_body_that_is_no_event_is_refused(client, body):
    response = client.post(
        "/billing/webhook",
        data=body,
        headers={"Stripe-Signature": sign(body)},
        content_type="application/json",
    )
    assert response.status_code == 400
    _nothing_changed()


def test_an_unknown_type_with_a_malformed_envelope_is_refused(client):
    evt = event("customer.tax_id.created", {"id": "txi_1"})
    evt["created"] = "abc"
    assert _post(client, evt) == 400


def test_the_well_formed_events_of_the_same_shapes_are_applied(client, acme):
    meta = _meta(acme.id)
    evt = event("customer.subscription.created", subscription(metadata=meta))
    assert _post(client, copy.deepcopy(evt)) == 200
    db.session.expire_all()
    assert db.session.scalar(select(Subscription.status)) == "active"
    assert _post(client, event("invoice.payment_failed", invoice())) == 200
    assert _post(client, event("customer.tax_id.created", {"id": "txi_1"})) == 200
