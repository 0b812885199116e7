"""The shape of a Stripe event, checked once when it arrives, before any handler reads it.

A valid signature proves who sent a body, not that it holds the fields and types the handlers
of app.billing.webhooks read, nor that its strings and numbers fit the columns they end up in.
Each description below names only what those handlers read; other fields are not looked at, as
Stripe adds fields in new API versions. A missing field and a null one are the same here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

Check = Callable[[Any, str], None]

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
INVOICE_EVENTS = frozenset({"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"})
CHECKOUT_COMPLETED = "checkout.session.completed"
HANDLED = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | {CHECKOUT_COMPLETED}

INTEGER_COLUMN = 2**31 - 1  # stripe_events.created, subscriptions.seats and .stripe_updated
LAST_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime holds
STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)
PRICE_INTERVALS = ("day", "week", "month", "year")
CHECKOUT_INTERVALS = ("month", "year")  # what app.billing.services puts in the metadata


class MalformedEvent(ValueError):
    """The body is not an event of the shape the handlers read."""


# --- checks ---------------------------------------------------------------------------------


def text(max_length: int = 255, choices: Collection[str] = ()) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or not value:
            raise MalformedEvent(f"{where}: expected a non-empty string")
        if len(value) > max_length:
            raise MalformedEvent(f"{where}: longer than {max_length} characters")
        if choices and value not in choices:
            raise MalformedEvent(f"{where}: not one of {', '.join(choices)}")

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any, where: str) -> None:
        if type(value) is not int or not low <= value <= high:
            raise MalformedEvent(f"{where}: expected a whole number from {low} to {high}")

    return check


def boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise MalformedEvent(f"{where}: expected true or false")


def optional(check: Check) -> Check:
    def maybe(value: Any, where: str) -> None:
        if value is not None:
            check(value, where)

    return maybe


def either(*checks: Check) -> Check:
    def check(value: Any, where: str) -> None:
        errors = []
        for one in checks:
            try:
                return one(value, where)
            except MalformedEvent as exc:
                errors.append(str(exc))
        raise MalformedEvent(" or ".join(errors))

    return check


def obj(**fields: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise MalformedEvent(f"{where}: expected an object")
        for name, field in fields.items():
            field(value.get(name), f"{where}.{name}")

    return check


def list_of(item: Check) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise MalformedEvent(f"{where}: expected a list")
        for i, element in enumerate(value):
            item(element, f"{where}[{i}]")

    return check


def metadata(**known: Check) -> Check:
    """Stripe metadata: string keys and string values (at most 500 characters each)."""
    known_fields = obj(**known)

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise MalformedEvent(f"{where}: expected an object")
        for key, entry in value.items():
            if not isinstance(entry, str) or len(entry) > 500:
                raise MalformedEvent(
                    f"{where}[{key!r}]: expected a string of at most 500 characters"
                )
        known_fields(value, where)

    return check


# --- what the handlers read -----------------------------------------------------------------

ID = text(255)  # every Stripe id lands in a varchar(255) column
REFERENCE = either(ID, obj(id=ID))  # an id, or the object expanded
TIMESTAMP = integer(0, LAST_TIMESTAMP)
QUANTITY = integer(0, INTEGER_COLUMN)
PRICE = obj(
    id=optional(ID),
    interval=optional(text(choices=PRICE_INTERVALS)),
    recurring=optional(obj(interval=optional(text(choices=PRICE_INTERVALS)))),
)
ITEM = obj(
    quantity=optional(QUANTITY),
    current_period_end=optional(TIMESTAMP),
    price=optional(PRICE),
    plan=optional(PRICE),
)
SUBSCRIPTION = obj(
    id=ID,
    customer=optional(REFERENCE),
    status=optional(text(choices=STATUSES)),
    metadata=optional(metadata()),
    cancel_at_period_end=optional(boolean),
    quantity=optional(QUANTITY),
    current_period_end=optional(TIMESTAMP),
    plan=optional(PRICE),
    items=optional(obj(data=optional(list_of(optional(ITEM))))),
)
CHECKOUT_SESSION = obj(
    id=optional(ID),
    mode=optional(text(40)),
    subscription=optional(REFERENCE),
    customer=optional(REFERENCE),
    client_reference_id=optional(text(200)),
    metadata=optional(metadata(interval=optional(text(choices=CHECKOUT_INTERVALS)))),
)
INVOICE = obj(
    subscription=optional(REFERENCE),
    parent=optional(obj(subscription_details=optional(obj(subscription=optional(REFERENCE))))),
    lines=optional(
        obj(
            data=optional(
                list_of(
                    obj(
                        parent=optional(
                            obj(
                                subscription_item_details=optional(
                                    obj(subscription=optional(REFERENCE))
                                )
                            )
                        )
                    )
                )
            )
        )
    ),
)
ENVELOPE = obj(
    id=ID,
    type=text(255),
    created=integer(0, INTEGER_COLUMN),
    data=obj(object=obj()),
)
OBJECTS: dict[str, Check] = {
    CHECKOUT_COMPLETED: CHECKOUT_SESSION,
    **dict.fromkeys(SUBSCRIPTION_EVENTS, SUBSCRIPTION),
    **dict.fromkeys(INVOICE_EVENTS, INVOICE),
}


def check(event: Any) -> dict:
    """The event itself when every field a handler reads has its type and fits its column;
    MalformedEvent naming the first field that does not otherwise. Unhandled types are
    checked as far as the envelope (they are acknowledged and ignored)."""
    ENVELOPE(event, "event")
    shape = OBJECTS.get(event["type"])
    if shape is not None:
        shape(event["data"]["object"], "data.object")
    return event
