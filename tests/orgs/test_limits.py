"""Free-plan limits through the routes, and the plan hooks billing fills (SPEC §7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import limits
from app.errors import LimitReached
from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Project, Role, Subscription

PROJECT = {"name": "Project", "description": ""}


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def subscribe(**fields) -> None:
    fields.setdefault("status", "active")
    db.session.add(Subscription(**fields))
    db.session.commit()


def test_fourth_member_refused_on_free_counting_pending_invitations(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    login_as(alice)
    client.submit(
        "/orgs/acme/invitations",
        {"email": "carol@example.com", "role": "worker"},
        page="/orgs/acme",
    )
    response = client.submit(
        "/orgs/acme/invitations",
        {"email": "dan@example.com", "role": "worker"},
        page="/orgs/acme",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert (
        "This organization has reached the Free plan&#39;s 3 members (pending invitations "
        "count). Upgrade to Team to add more."
    ) in page
    assert count(Invitation, Invitation.organization_id == org.id) == 1


def test_fourth_project_refused_in_an_org(client, make_user, make_org, login_as):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    for n in range(3):
        assert client.submit("/projects/new", {**PROJECT, "name": f"P{n}"}).status_code == 303
    response = client.submit("/projects/new", {**PROJECT, "name": "P4"})
    assert response.status_code == 422
    assert (
        "This organization has reached the Free plan&#39;s 3 projects. Upgrade to Team"
        in response.get_data(as_text=True)
    )
    assert count(Project, Project.organization_id == org.id) == 3


def test_fourth_personal_project_refused(client, make_user, login_as):
    alice = make_user("alice")
    login_as(alice)
    for n in range(3):
        client.submit("/projects/new", {**PROJECT, "name": f"P{n}"})
    response = client.submit("/projects/new", {**PROJECT, "name": "P4"})
    assert response.status_code == 422
    assert "Upgrade to Solo" in response.get_data(as_text=True)
    assert count(Project, Project.personal_owner_id == alice.id) == 3


def test_second_owned_org_refused(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="first")
    login_as(alice)
    response = client.submit("/orgs/new", {"slug": "second", "name": "Second"})
    assert response.status_code == 422
    assert (
        "You already own 1 organization, the most the Free plan allows. Upgrade to Solo"
        in response.get_data(as_text=True)
    )
    assert count(Organization) == 1


def test_transfer_respects_the_new_owners_limit(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.MAINTAINER})
    make_org(owner=bob, slug="bobs")
    login_as(alice)
    response = client.submit(
        "/orgs/acme/transfer", {"new_owner": bob.id, "confirm_slug": "acme"}, follow_redirects=True
    )
    assert "Bob already owns 1 organization" in response.get_data(as_text=True)
    db.session.expire_all()
    assert org.owner_id == alice.id


def test_limits_come_from_settings(app, make_user, make_org):
    from app import settings

    settings.set_many(
        {
            "free_org_members": 5,
            "free_org_projects": 7,
            "free_personal_projects": 0,
            "free_owned_orgs": 2,
        }
    )
    db.session.commit()
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme")
    assert limits.org_members(org).maximum == 5
    assert limits.org_projects(org).maximum == 7
    assert limits.personal_projects(alice).maximum == 0
    assert limits.owned_orgs(alice).maximum == 2


def test_solo_lifts_personal_limits_and_caps_owned_orgs_at_two_members(app, make_user, make_org):
    alice, bob = make_user("alice"), make_user("bob")
    subscribe(user_id=alice.id, plan="solo")
    assert limits.personal_projects(alice).maximum is None
    assert limits.owned_orgs(alice).maximum is None
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    with pytest.raises(LimitReached, match="Solo plan's 2 members"):
        limits.require_invitation_seat(org)
    assert limits.org_projects(org).maximum == 3  # organizations stay on Free limits


def test_team_seats_count_members_and_pending_invitations(app, make_user, make_org):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    subscribe(organization_id=org.id, plan="team", seats=4)
    assert limits.org_projects(org).maximum is None
    db.session.add(Invitation.issue(org, "c@example.com", Role.WORKER, alice, 7)[0])
    db.session.commit()
    limits.require_invitation_seat(org)  # 2 members + 1 pending + this one = 4 seats
    db.session.add(Invitation.issue(org, "d@example.com", Role.WORKER, alice, 7)[0])
    db.session.commit()
    with pytest.raises(LimitReached, match="all 4 of its Team seats"):
        limits.require_invitation_seat(org)


def test_grace_period_applies_free_limits_to_new_things_and_deletes_nothing(
    app, make_user, make_org
):
    alice = make_user("alice")
    members = {make_user(f"m{n}"): Role.WORKER for n in range(4)}
    org = make_org(owner=alice, slug="acme", members=members)
    subscribe(
        organization_id=org.id,
        plan="team",
        seats=10,
        status="past_due",
        grace_until=utcnow() + timedelta(days=20),
    )
    limit = limits.org_members(org)
    assert (limit.maximum, limit.in_grace) == (3, True)
    with pytest.raises(LimitReached, match="lapsed"):
        limits.require_invitation_seat(org)
    assert count(Membership, Membership.organization_id == org.id) == 5


def test_accepting_counts_members_only(app, make_user, make_org):
    """Invitations hold their place; after a limit falls, acceptances stop at the limit."""
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    limits.require_member_seat(org)  # 2 members + 1 = 3
    db.session.add(Membership(organization_id=org.id, user_id=make_user("c").id, role="worker"))
    db.session.commit()
    with pytest.raises(LimitReached):
        limits.require_member_seat(org)
