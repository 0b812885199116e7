"""Checkout, Portal, success and cancel pages.

Checkout Sessions and the Customer Portal exist only at Stripe, which cannot run here: these tests
use the recording fake `fake_stripe` (tests/billing/conftest.py) in place of the Stripe client.
"""

from __future__ import annotations

import pytest
import stripe
from sqlalchemy import func, select

from app.extensions import db
from app.models import BillingCustomer, Role, Subscription
from tests.billing.conftest import NOT_CONFIGURED

CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_fake"
PORTAL_URL = "https://billing.stripe.com/p/session/fake"
BASE = "http://gatehouse.example.com"


def test_solo_checkout_sends_the_person_to_stripe_with_their_workspace(
    client, make_user, login_as, fake_stripe
):
    user = make_user()
    login_as(user)
    response = client.submit(
        "/billing/checkout",
        {"plan": "solo", "interval": "year", "invoice_details": "y"},
        page="/billing",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == CHECKOUT_URL
    [customer] = fake_stripe.params("customers.create")
    assert customer["email"] == user.email
    assert customer["metadata"] == {"workspace_kind": "user", "workspace_id": str(user.id)}
    [params] = fake_stripe.params("checkout.sessions.create")
    assert params["mode"] == "subscription"
    assert params["customer"] == "cus_fake1"
    assert params["line_items"] == [{"price": "price_solo_year", "quantity": 1}]
    assert params["client_reference_id"] == f"user_{user.id}"
    workspace = {"workspace_kind": "user", "workspace_id": str(user.id)}
    assert params["metadata"] == {**workspace, "plan": "solo", "interval": "year"}
    assert params["subscription_data"]["metadata"] == params["metadata"]
    assert params["success_url"] == f"{BASE}/billing/success?session_id={{CHECKOUT_SESSION_ID}}"
    assert params["cancel_url"] == f"{BASE}/billing/cancelled"
    assert params["billing_address_collection"] == "required"
    assert params["phone_number_collection"] == {"enabled": True}
    assert params["tax_id_collection"] == {"enabled": True}
    assert params["customer_update"] == {"address": "auto", "name": "auto"}
    # Checkout alone activates nothing.
    assert db.session.scalar(select(Subscription)) is None


def test_the_customer_is_created_once_per_workspace(client, make_user, login_as, fake_stripe):
    login_as(make_user())
    for _ in range(2):
        response = client.submit(
            "/billing/checkout", {"plan": "solo", "interval": "month"}, page="/billing"
        )
        assert response.status_code == 303
    assert len(fake_stripe.params("customers.create")) == 1
    first, second = fake_stripe.params("checkout.sessions.create")
    assert first["customer"] == second["customer"] == "cus_fake1"
    assert "billing_address_collection" not in second
    assert "tax_id_collection" not in second
    assert db.session.scalar(select(func.count()).select_from(BillingCustomer)) == 1


def test_a_posted_price_id_is_ignored(client, make_user, login_as, fake_stripe):
    login_as(make_user())
    client.submit(
        "/billing/checkout",
        {"plan": "solo", "interval": "month", "price": "price_attacker", "line_items": "x"},
        page="/billing",
    )
    [params] = fake_stripe.params("checkout.sessions.create")
    assert params["line_items"] == [{"price": "price_solo_month", "quantity": 1}]


def test_team_checkout_buys_the_seats_for_the_organization(
    client, make_user, login_as, make_org, fake_stripe
):
    owner, member = make_user(), make_user()
    org = make_org(owner, "acme", members=[(member, Role.WORKER)], invitations=["new@example.com"])
    login_as(owner)
    page = client.get("/billing").get_data(as_text=True)
    assert "Acme Ltd" in page and "Seats used: 3" in page
    response = client.submit(
        "/billing/checkout",
        {"plan": "team", "interval": "month", "org": "acme", "seats": "5"},
        page="/billing",
    )
    assert response.status_code == 303
    [params] = fake_stripe.params("checkout.sessions.create")
    assert params["line_items"] == [{"price": "price_team_month", "quantity": 5}]
    assert params["client_reference_id"] == f"org_{org.id}"
    assert params["metadata"]["workspace_kind"] == "org"
    assert fake_stripe.params("customers.create")[0]["metadata"]["workspace_id"] == str(org.id)


def test_team_seats_below_members_and_invitations_are_refused(
    client, make_user, login_as, make_org, fake_stripe
):
    owner, member = make_user(), make_user()
    make_org(owner, "acme", members=[(member, Role.WORKER)], invitations=["new@example.com"])
    login_as(owner)
    response = client.submit(
        "/billing/checkout",
        {"plan": "team", "interval": "month", "org": "acme", "seats": "2"},
        page="/billing",
    )
    assert response.status_code == 422
    assert "buy at least 3 seats" in response.get_data(as_text=True)
    assert fake_stripe.calls == []


def test_invalid_choices_get_the_form_back(client, make_user, login_as, fake_stripe):
    login_as(make_user())
    response = client.submit(
        "/billing/checkout", {"plan": "gold", "interval": "weekly"}, page="/billing"
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    response = client.submit(
        "/billing/checkout", {"plan": "team", "interval": "month"}, page="/billing"
    )
    assert response.status_code == 422
    assert "Choose the organization" in response.get_data(as_text=True)
    assert fake_stripe.calls == []


@pytest.mark.parametrize("url", ["/billing/checkout", "/billing/portal"])
def test_only_the_owner_reaches_an_organizations_checkout_and_portal(
    url, client, make_user, login_as, make_org, fake_stripe
):
    owner, maintainer, outsider = make_user(), make_user(), make_user()
    make_org(owner, "acme", members=[(maintainer, Role.MAINTAINER)])
    data = {"plan": "team", "interval": "month", "org": "acme", "seats": "3"}
    login_as(outsider)
    assert client.submit(url, data, page="/billing").status_code == 404
    login_as(maintainer)
    assert client.submit(url, data, page="/billing").status_code == 403
    assert fake_stripe.calls == []


def test_portal_opens_for_the_workspaces_customer(client, make_user, login_as, fake_stripe):
    user = make_user()
    login_as(user)
    response = client.submit("/billing/portal", {}, page="/billing")
    assert response.status_code == 409
    assert "no billing account yet" in response.get_data(as_text=True)
    db.session.add(BillingCustomer(user_id=user.id, stripe_customer_id="cus_existing"))
    db.session.commit()
    response = client.submit("/billing/portal", {}, page="/billing")
    assert response.status_code == 303
    assert response.headers["Location"] == PORTAL_URL
    [params] = fake_stripe.params("billing_portal.sessions.create")
    assert params == {"customer": "cus_existing", "return_url": f"{BASE}/billing"}


def test_a_forged_success_url_activates_nothing(client, make_user, login_as):
    user = make_user()
    login_as(user)
    response = client.get("/billing/success?session_id=cs_test_forged")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "payment is being confirmed" in page
    assert "Plan: <strong>Free</strong>" in page
    assert db.session.scalar(select(Subscription)) is None


def test_the_cancelled_page_says_nothing_was_charged(client, make_user, login_as):
    login_as(make_user())
    assert "Nothing was charged" in client.get("/billing/cancelled").get_data(as_text=True)


def test_a_stripe_failure_is_a_readable_502_and_changes_nothing(
    client, make_user, login_as, fake_stripe
):
    login_as(make_user())
    fake_stripe.error = stripe.APIConnectionError("Could not connect to Stripe (timeout).")
    response = client.submit(
        "/billing/checkout", {"plan": "solo", "interval": "month"}, page="/billing"
    )
    assert response.status_code == 502
    assert "did not answer properly" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(BillingCustomer)) == 0


def test_prices_and_yearly_saving_are_shown(client, make_user, login_as):
    login_as(make_user())
    page = client.get("/billing").get_data(as_text=True)
    assert "9.00 EUR" in page and "90.00 EUR" in page
    assert "Save 17% by paying yearly" in page


@pytest.mark.parametrize("app_overrides", [NOT_CONFIGURED])
def test_without_stripe_keys_billing_says_so(client, make_user, login_as, fake_stripe):
    login_as(make_user())
    page = client.get("/billing").get_data(as_text=True)
    assert "Billing is not configured" in page
    assert "Plans can only be granted by an administrator" in page
    response = client.submit(
        "/billing/checkout", {"plan": "solo", "interval": "month"}, page="/billing"
    )
    assert response.status_code == 409
    assert fake_stripe.calls == []
