"""The gateway against localstripe, a real Stripe-compatible server run on a free local port.

localstripe has customers, plans, subscriptions, invoices and signed webhook delivery, but no
Prices API (billing-setup falls back to Plans, which Stripe accepts as prices) and no Checkout.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import stripe
from sqlalchemy import select
from werkzeug.serving import make_server

from app.billing import gateway, plans, services
from app.billing.workspaces import OrgWorkspace, PersonalWorkspace
from app.extensions import db
from app.models import AuditEvent, BillingCustomer, Subscription
from tests.billing.conftest import WEBHOOK_SECRET

LOCALSTRIPE = Path(sys.executable).with_name("localstripe")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http(method: str, url: str, data: dict | None = None) -> int:
    body = urllib.parse.urlencode(data).encode() if data else None
    request = urllib.request.Request(
        url, data=body, method=method, headers={"Authorization": "Bearer sk_test_gatehouse"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


@pytest.fixture(scope="module")
def localstripe_url():
    port = _free_port()
    process = subprocess.Popen(
        [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _http("GET", f"{url}/v1/customers")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("localstripe did not start")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def app_overrides(localstripe_url):
    from tests.billing.conftest import STRIPE_CONFIG

    return {**STRIPE_CONFIG, "STRIPE_API_BASE": localstripe_url}


@pytest.fixture
def localstripe(localstripe_url):
    yield localstripe_url
    _http("DELETE", f"{localstripe_url}/_config/data")


@pytest.fixture
def setup_prices(app, localstripe):
    """Run `flask billing-setup` against localstripe and configure what it printed."""
    result = app.test_cli_runner().invoke(args=["billing-setup"])
    assert result.exit_code == 0, result.output
    lines = dict(
        line.split("=", 1) for line in result.output.splitlines() if line.startswith("STRIPE_")
    )
    assert set(lines) >= {
        "STRIPE_PRICE_SOLO_MONTH",
        "STRIPE_PRICE_SOLO_YEAR",
        "STRIPE_PRICE_TEAM_MONTH",
        "STRIPE_PRICE_TEAM_YEAR",
    }
    app.config.update(lines)
    return lines


def _stripe_client(url: str):
    return stripe.StripeClient(
        "sk_test_gatehouse", base_addresses={"api": url}, max_network_retries=0
    )


def _card(url: str, customer: str) -> None:
    """A card on file, as Checkout would leave it (test setup, not app code)."""
    client = _stripe_client(url)
    method = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"},
        }
    )
    client.v1.payment_methods.attach(method.id, params={"customer": customer})
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": method.id}}
    )


def test_the_workspace_customer_is_created_once_at_stripe(app, localstripe, make_user):
    user = make_user()
    with app.test_request_context():
        first = services.ensure_customer(PersonalWorkspace(user))
        second = services.ensure_customer(PersonalWorkspace(user))
    assert first == second and first.startswith("cus_")
    remote = _stripe_client(localstripe).v1.customers.retrieve(first)
    assert remote.email == user.email
    assert remote.metadata.to_dict() == {"workspace_kind": "user", "workspace_id": str(user.id)}
    assert db.session.scalar(select(BillingCustomer.stripe_customer_id)) == first


def test_seats_and_cancellation_through_the_gateway(app, setup_prices, make_user, make_org):
    owner = make_user()
    org = make_org(owner, "acme")
    workspace = OrgWorkspace(org)
    with app.test_request_context():
        customer = services.ensure_customer(workspace)
        _card(app.config["STRIPE_API_BASE"], customer)
        sub = gateway.create_subscription(
            customer, setup_prices["STRIPE_PRICE_TEAM_MONTH"], 3, workspace.metadata
        )
        assert (sub["status"], sub["items"]["data"][0]["quantity"]) == ("active", 3)
        changed = gateway.set_subscription_quantity(sub["id"], 5)
        assert changed["items"]["data"][0]["quantity"] == 5
        assert gateway.retrieve_subscription(sub["id"])["items"]["data"][0]["quantity"] == 5
        assert gateway.cancel_subscription(sub["id"], at_period_end=True)["cancel_at_period_end"]
        assert gateway.cancel_subscription(sub["id"], at_period_end=False)["status"] == "canceled"
        assert gateway.list_invoices(customer)


def test_an_unreachable_stripe_is_a_502(app, client, login_as, make_user, localstripe):
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{_free_port()}"  # nobody listens
    login_as(make_user())
    response = client.submit(
        "/billing/checkout", {"plan": "solo", "interval": "month"}, page="/billing"
    )
    assert response.status_code == 502
    assert db.session.scalar(select(BillingCustomer)) is None


@pytest.fixture
def served_app(app):
    """The app as a real HTTP server on a free port, for localstripe to deliver to."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_a_signed_delivery_from_localstripe_activates_the_plan(
    app, served_app, setup_prices, localstripe, make_user
):
    user = make_user()
    assert (
        _http(
            "POST",
            f"{localstripe}/_config/webhooks/gatehouse",
            {"url": f"{served_app}/billing/webhook", "secret": WEBHOOK_SECRET},
        )
        == 200
    )
    workspace = PersonalWorkspace(user)
    db.session.commit()  # the test's own transaction holds SQLite's write lock outside a request
    with app.test_request_context(method="POST"):  # as the checkout POST: a write transaction
        customer = services.ensure_customer(workspace)
        _card(localstripe, customer)
        sub = gateway.create_subscription(
            customer, setup_prices["STRIPE_PRICE_SOLO_YEAR"], 1, workspace.metadata
        )
    row = None
    for _ in range(100):  # localstripe delivers about a second after the call
        db.session.rollback()  # a fresh snapshot: the server thread commits in its own session
        row = db.session.scalar(select(Subscription).where(Subscription.user_id == user.id))
        if row is not None and row.status == "active":
            break
        db.session.rollback()  # not holding the write lock the webhook's request needs
        time.sleep(0.1)
    assert row is not None, "no webhook arrived within 10 s"
    assert (row.stripe_subscription_id, row.plan, row.interval) == (sub["id"], "solo", "year")
    assert plans.for_user(user).plan == "solo"
    assert (
        db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "subscription.created")
        )
        == "subscription.created"
    )
