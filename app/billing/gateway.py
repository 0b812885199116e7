"""Every call to Stripe goes through here: the only module that imports `stripe`.

Functions take and return plain values (ids, URLs, dicts), so the rest of the app never sees a
Stripe object, and any Stripe failure leaves as GatewayError (a 502 page, nothing changed).
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

import stripe
from flask import current_app

log = logging.getLogger("gatehouse.billing")

WEBHOOK_TOLERANCE = 300  # seconds; Stripe's own default, SECURITY.md item 40
TIMEOUT = 15  # seconds for one call; a hung Stripe must not hold a worker for 80 s


class GatewayError(Exception):
    """Stripe refused, failed or did not answer in time."""


class SignatureError(Exception):
    """A webhook whose signature, timestamp or body is not acceptable."""


def configured() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def make_client(secret_key: str, api_base: str | None = None):
    """The Stripe client; tests replace this function with a recording fake."""
    options: dict[str, Any] = {
        "http_client": stripe.RequestsClient(timeout=TIMEOUT),
        "max_network_retries": 1,
    }
    if api_base:
        options["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(secret_key, **options)


def _client():
    if not configured():
        raise GatewayError("Stripe is not configured.")
    return make_client(
        current_app.config["STRIPE_SECRET_KEY"], current_app.config.get("STRIPE_API_BASE")
    )


def _plain(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _call(what: str, function, *args, **kwargs) -> dict:
    try:
        return _plain(function(*args, **kwargs))
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s %s", what, type(exc).__name__, exc.user_message or exc)
        raise GatewayError(f"Stripe could not {what}.") from exc


def create_customer(email: str | None, name: str, metadata: dict[str, str]) -> str:
    params: dict[str, Any] = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    return _call("create the customer", _client().v1.customers.create, params=params)["id"]


def create_checkout_session(
    *,
    customer: str,
    price: str,
    quantity: int,
    client_reference_id: str,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
    collect_invoice_details: bool,
) -> str:
    """A subscription Checkout Session; returns the URL to send the person to."""
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer,
        "line_items": [{"price": price, "quantity": quantity}],
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        # The subscription carries the workspace too, so its own events find their way home.
        "subscription_data": {"metadata": metadata},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if collect_invoice_details:
        params.update(
            {
                "billing_address_collection": "required",
                "phone_number_collection": {"enabled": True},
                "tax_id_collection": {"enabled": True},
                "customer_update": {"address": "auto", "name": "auto"},
            }
        )
    return _call("start the checkout", _client().v1.checkout.sessions.create, params=params)["url"]


def create_portal_session(customer: str, return_url: str) -> str:
    return _call(
        "open the billing portal",
        _client().v1.billing_portal.sessions.create,
        params={"customer": customer, "return_url": return_url},
    )["url"]


def retrieve_subscription(subscription_id: str) -> dict:
    return _call("read the subscription", _client().v1.subscriptions.retrieve, subscription_id)


def create_subscription(customer: str, price: str, quantity: int, metadata: dict[str, str]) -> dict:
    """Used by operators' scripts and tests; people subscribe through Checkout."""
    return _call(
        "create the subscription",
        _client().v1.subscriptions.create,
        params={
            # `plan` rather than `price`: Stripe takes a price id there too, and localstripe only
            # knows that key.
            "customer": customer,
            "items": [{"plan": price, "quantity": quantity}],
            "metadata": metadata,
        },
    )


def set_subscription_quantity(subscription_id: str, quantity: int) -> dict:
    client = _client()
    current = _call("read the subscription", client.v1.subscriptions.retrieve, subscription_id)
    item = current["items"]["data"][0]["id"]
    return _call(
        "change the seats",
        client.v1.subscriptions.update,
        subscription_id,
        params={"items": [{"id": item, "quantity": quantity}]},
    )


def cancel_subscription(subscription_id: str, at_period_end: bool = True) -> dict:
    client = _client()
    if at_period_end:
        return _call(
            "schedule the cancellation",
            client.v1.subscriptions.update,
            subscription_id,
            params={"cancel_at_period_end": True},
        )
    return _call("cancel the subscription", client.v1.subscriptions.cancel, subscription_id)


def list_invoices(customer: str) -> list[dict]:
    return _call("list the invoices", _client().v1.invoices.list, params={"customer": customer})[
        "data"
    ]


def verify_webhook(payload: bytes, signature: str | None, secret: str | None) -> Any:
    """The decoded body, once its signature over the raw body and its timestamp are checked.
    Whether it has an event's shape is app.billing.event_shape's business."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, WEBHOOK_TOLERANCE)
        return json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise SignatureError(str(exc)) from None


def create_product(name: str) -> str:
    return _call(
        "create the product",
        _client().v1.products.create,
        params={"name": name, "metadata": {"gatehouse": "plan"}},
    )["id"]


def create_price(product: str, amount: int, currency: str, interval: str, lookup_key: str) -> str:
    """A recurring price, for `flask billing-setup`.

    A server without the Prices API (localstripe) gets an old-style Plan instead; Stripe accepts
    a plan id wherever a price id goes.
    """
    client = _client()
    try:
        return _plain(
            client.v1.prices.create(
                params={
                    "product": product,
                    "unit_amount": amount,
                    "currency": currency,
                    "recurring": {"interval": interval},
                    "lookup_key": lookup_key,
                    "transfer_lookup_key": True,
                }
            )
        )["id"]
    except stripe.StripeError as exc:
        if exc.http_status != 404:
            log.warning("stripe price failed: %s", exc)
            raise GatewayError("Stripe could not create the price.") from exc
    return _call(
        "create the plan",
        client.v1.plans.create,
        params={
            "id": f"{lookup_key}_{secrets.token_hex(4)}",
            "product": product,
            "amount": amount,
            "currency": currency,
            "interval": interval,
        },
    )["id"]
