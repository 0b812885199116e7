"""Two invitations accepted at the same moment with one seat left: exactly one gets in (on
SQLite too, where the write transaction of each request takes the write lock at BEGIN)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Project, Role
from tests.concurrency import at_once


def test_last_seat_goes_to_exactly_one_of_two_simultaneous_acceptances(
    app, factory, make_user, make_org
):
    alice, bob = make_user("alice"), make_user("bob")
    # Verified addresses: only those answer from /invitations (SECURITY 30).
    racers = [make_user(name, email_verified_at=utcnow()) for name in ("carol", "dave")]
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})  # 2 of 3 Free seats
    invitations = []
    for person in racers:  # issued while the limit allowed them (e.g. before a downgrade)
        invitation, _ = Invitation.issue(org, person.email, Role.WORKER, alice, 7)
        db.session.add(invitation)
        invitations.append(invitation)
    db.session.commit()

    clients = []
    for person, invitation in zip(racers, invitations, strict=True):
        client = app.test_client()
        factory.sign_in(client, person)
        clients.append((client, client.csrf_token("/invitations"), invitation.id))

    def accept(client, token: str, invitation_id: int):
        response = client.post(
            f"/invitations/by-id/{invitation_id}/accept", data={"csrf_token": token}
        )
        return response.status_code, response.headers.get("Location", "")

    results = at_once(*(lambda args=args: accept(*args) for args in clients))

    assert all(r is not None and r[0] == 303 for r in results), results
    landed = [r for r in results if r[1].endswith("/orgs/acme")]
    assert len(landed) == 1, results
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
        )
        == 3
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.accepted_at.is_not(None))
        )
        == 1
    )


def _two_tabs(app, factory, person, page: str, n: int = 2) -> list:
    """`n` clients signed in as `person` (as if from several tabs), each with a form token."""
    clients = []
    for _ in range(n):
        client = app.test_client()
        factory.sign_in(client, person)
        clients.append((client, client.csrf_token(page)))
    return clients


def _post_at_once(clients, url: str, fields_for) -> list[int]:
    def post(index: int, client, token: str) -> int:
        data = {**fields_for(index), "csrf_token": token}
        return client.post(url, data=data).status_code

    calls = [lambda i=i, c=c, t=t: post(i, c, t) for i, (c, t) in enumerate(clients)]
    return at_once(*calls)


def test_last_personal_project_slot_goes_to_one_of_two_simultaneous_creations(
    app, factory, make_user
):
    alice = make_user("alice")
    for n in range(2):  # 2 of the Free plan's 3 personal projects
        db.session.add(Project(name=f"P{n}", personal_owner_id=alice.id, created_by_id=alice.id))
    db.session.commit()
    clients = _two_tabs(app, factory, alice, "/projects/new")

    statuses = _post_at_once(
        clients, "/projects/new", lambda i: {"name": f"Racer {i}", "description": ""}
    )

    assert sorted(statuses) == [303, 422], statuses
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(Project).where(Project.personal_owner_id == alice.id)
        )
        == 3
    )


def test_one_owned_organization_of_two_created_at_once(app, factory, make_user):
    alice = make_user("alice")  # Free: one owned organization
    clients = _two_tabs(app, factory, alice, "/orgs/new")

    statuses = _post_at_once(clients, "/orgs/new", lambda i: {"slug": f"org{i}", "name": "Org"})

    assert sorted(statuses) == [303, 422], statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1


def test_two_transfers_at_once_leave_one_owner(app, factory, make_user, make_org):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    org = make_org(owner=alice, slug="acme", members={bob: "maintainer", carol: "maintainer"})
    heirs = [bob.id, carol.id]
    clients = _two_tabs(app, factory, alice, "/orgs/acme")

    statuses = _post_at_once(
        clients, "/orgs/acme/transfer", lambda i: {"new_owner": heirs[i], "confirm_slug": "acme"}
    )

    assert all(status < 500 for status in statuses), statuses
    db.session.expire_all()
    owners = db.session.scalars(
        select(Membership.user_id).where(
            Membership.organization_id == org.id, Membership.role == Role.OWNER
        )
    ).all()
    assert len(owners) == 1 and owners[0] in heirs
    assert db.session.get(Organization, org.id).owner_id == owners[0]


def test_a_transfer_and_a_demotion_of_the_heir_at_once_leave_one_owner(
    app, factory, make_user, make_org
):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: "maintainer"})
    (transfer_tab, t1), (roles_tab, t2) = _two_tabs(app, factory, alice, "/orgs/acme")
    bob_id = bob.id

    statuses = at_once(
        lambda: (
            transfer_tab.post(
                "/orgs/acme/transfer",
                data={"new_owner": bob_id, "confirm_slug": "acme", "csrf_token": t1},
            ).status_code
        ),
        lambda: (
            roles_tab.post(
                f"/orgs/acme/members/{bob_id}/role", data={"role": "supervisor", "csrf_token": t2}
            ).status_code
        ),
    )

    assert all(status < 500 for status in statuses), statuses
    db.session.expire_all()
    roles = dict(
        db.session.execute(
            select(Membership.user_id, Membership.role).where(Membership.organization_id == org.id)
        ).all()
    )
    owner_id = db.session.get(Organization, org.id).owner_id
    assert list(roles.values()).count(Role.OWNER) == 1
    assert roles[owner_id] == Role.OWNER
