"""Limits switch as the plan changes: Team seats, and the grace period after a cancellation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db, utcnow
from app.models import Invitation, Membership, Project, Role
from tests.billing.conftest import event, subscription


def _team(deliver, org, seats: int, created: int | None = None, **kw) -> None:
    meta = {"workspace_kind": "org", "workspace_id": str(org.id)}
    response = deliver(
        event(
            kw.pop("kind", "customer.subscription.created"),
            subscription(quantity=seats, metadata=meta, **kw),
            created,
        )
    )
    assert response.status_code == 200


def _count(model, **where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_team_of_three_seats_takes_a_third_member_and_refuses_a_fourth_invitation(
    client, make_user, make_org, login_as, deliver
):
    owner, second = make_user(), make_user()
    third = make_user(email_verified_at=utcnow())  # answers from /invitations (SECURITY 30)
    org = make_org(owner, "acme", members=[(second, Role.WORKER)])
    _team(deliver, org, 3)
    login_as(owner)
    page = f"/orgs/{org.slug}"
    client.submit(f"{page}/invitations", {"email": third.email, "role": "worker"}, page=page)
    invitation = db.session.scalar(select(Invitation).where(Invitation.email == third.email))
    assert invitation is not None
    login_as(third)
    client.submit(f"/invitations/by-id/{invitation.id}/accept", {}, page="/invitations")
    assert _count(Membership, organization_id=org.id) == 3

    login_as(owner)
    response = client.submit(
        f"{page}/invitations", {"email": "fourth@example.com", "role": "worker"}, page=page
    )
    assert "all 3 of its Team seats" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert _count(Invitation, email="fourth@example.com") == 0


def test_after_cancellation_the_grace_banner_shows_and_only_free_limits_apply(
    client, make_user, make_org, login_as, deliver
):
    owner = make_user()
    org = make_org(owner, "acme")
    now = int(time.time())
    _team(deliver, org, 2, now)
    login_as(owner)
    client.submit("/workspace", {"workspace": "acme"}, page="/projects")
    for n in range(4):  # Team: no project limit, so a fourth is fine
        response = client.submit("/projects/new", {"name": f"Project {n}"})
        assert response.status_code == 303, response.get_data(as_text=True)
    assert _count(Project, organization_id=org.id) == 4
    assert "has lapsed" not in client.get("/projects").get_data(as_text=True)

    _team(deliver, org, 2, now + 10, kind="customer.subscription.deleted", status="canceled")
    page = client.get("/projects").get_data(as_text=True)
    assert "The paid plan of Acme Ltd has lapsed" in page
    grace_end = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f"Until {grace_end}" in page
    response = client.submit("/projects/new", {"name": "One more"})
    assert response.status_code == 422
    assert "Free plan" in response.get_data(as_text=True)
    assert _count(Project, organization_id=org.id) == 4
    for project_id in db.session.scalars(select(Project.id)):
        assert client.get(f"/projects/{project_id}").status_code == 200
