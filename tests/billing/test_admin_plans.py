"""Admins grant and revoke plans by hand; new and cancelled subscriptions reach the statistics."""

from __future__ import annotations

import time

from sqlalchemy import select

from app.billing import plans
from app.extensions import db
from app.models import AuditEvent, Role, Subscription
from tests.billing.conftest import event, subscription


def _actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_an_admin_grants_and_revokes_team_for_an_organization(
    client, admin, make_user, make_org, login_as
):
    owner = make_user()
    org = make_org(owner, "acme", members=[(make_user(), Role.WORKER)])
    login_as(admin)
    assert 'href="/admin/plans?org=acme"' in client.get("/admin/orgs").get_data(as_text=True)
    page = "/admin/plans?org=acme"
    response = client.submit(
        "/admin/plans/grant", {"org": "acme", "plan": "team", "seats": "1"}, page=page
    )
    assert response.status_code == 422
    assert "already uses 2 seats" in response.get_data(as_text=True)
    response = client.submit(
        "/admin/plans/grant", {"org": "acme", "plan": "team", "seats": "5"}, page=page
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert plans.for_org(org) == plans.PlanState("team", "active", 5)
    assert "plan.granted" in _actions()
    assert ">Team</a>" in client.get("/admin/orgs").get_data(as_text=True)

    response = client.submit("/admin/plans/revoke", {"org": "acme"}, page=page)
    assert response.status_code == 303
    db.session.expire_all()
    state = plans.for_org(org)
    assert state.plan == "free" and state.in_grace
    assert "plan.revoked" in _actions()


def test_an_admin_grants_solo_from_the_users_page(client, admin, make_user, login_as):
    user = make_user()
    login_as(admin)
    edit = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert f'href="/admin/plans?user={user.id}"' in edit
    response = client.submit(
        "/admin/plans/grant",
        {"user": str(user.id), "plan": "solo"},
        page=f"/admin/plans?user={user.id}",
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert plans.for_user(user).plan == "solo"
    assert db.session.scalar(select(Subscription.source)) == "admin"


def test_a_stripe_subscription_is_not_overridden_by_hand(
    client, admin, make_user, make_org, login_as, deliver
):
    org = make_org(make_user(), "acme")
    deliver(
        event(
            "customer.subscription.created",
            subscription(metadata={"workspace_kind": "org", "workspace_id": str(org.id)}),
        )
    )
    login_as(admin)
    for url in ("/admin/plans/grant", "/admin/plans/revoke"):
        response = client.submit(
            url, {"org": "acme", "plan": "team", "seats": "9"}, page="/admin/plans?org=acme"
        )
        assert response.status_code == 409
    db.session.expire_all()
    assert plans.for_org(org).seats == 3


def test_only_admins_see_the_plan_pages(client, make_user, login_as):
    user = make_user()
    login_as(user)
    assert client.get(f"/admin/plans?user={user.id}").status_code == 404
    assert (
        client.submit(
            "/admin/plans/grant", {"user": str(user.id), "plan": "solo"}, page="/billing"
        ).status_code
        == 404
    )
    assert plans.for_user(user).plan == "free"


def test_new_and_cancelled_subscriptions_are_counted_in_the_statistics(
    client, admin, make_user, make_org, login_as, deliver
):
    org = make_org(make_user(), "acme")
    meta = {"workspace_kind": "org", "workspace_id": str(org.id)}
    now = int(time.time())
    deliver(event("customer.subscription.created", subscription(metadata=meta), now))
    deliver(
        event(
            "customer.subscription.deleted", subscription(status="canceled", metadata=meta), now + 1
        )
    )
    login_as(admin)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tsv = client.get(f"/admin/stats.tsv?start={today}&end={today}").get_data(as_text=True)
    header, row = tsv.splitlines()[0].split("\t"), tsv.splitlines()[1].split("\t")
    values = dict(zip(header, row, strict=True))
    new = next(k for k in header if "new" in k.lower() and "subscri" in k.lower())
    cancelled = next(k for k in header if "cancel" in k.lower())
    assert (values[new], values[cancelled]) == ("1", "1")
