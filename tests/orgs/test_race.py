"""Two invitations accepted at the same moment with one seat left: exactly one gets in."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import Invitation, Membership, Role
from tests.conftest import needs_postgres


@needs_postgres()
def test_last_seat_goes_to_exactly_one_of_two_simultaneous_acceptances(app, factory, make_user,
                                                                       make_org):
    alice, bob = make_user("alice"), make_user("bob")
    racers = [make_user("carol"), make_user("dave")]
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})  # 2 of 3 Free seats
    invitations = []
    for person in racers:  # issued while the limit allowed them (e.g. before a downgrade)
        invitation, _ = Invitation.issue(org, person.email, Role.WORKER, alice, 7)
        db.session.add(invitation)
        invitations.append(invitation)
    db.session.commit()

    clients = []
    for person, invitation in zip(racers, invitations):
        client = app.test_client()
        factory.sign_in(client, person)
        clients.append((client, client.csrf_token("/invitations"), invitation.id))

    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def accept(index: int) -> None:
        client, token, invitation_id = clients[index]
        barrier.wait(timeout=10)
        response = client.post(f"/invitations/by-id/{invitation_id}/accept",
                               data={"csrf_token": token})
        results[index] = (response.status_code, response.headers.get("Location", ""))

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(r is not None and r[0] == 303 for r in results), results
    landed = [r for r in results if r[1].endswith("/orgs/acme")]
    assert len(landed) == 1, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.organization_id == org.id)) == 3
    assert db.session.scalar(select(func.count()).select_from(Invitation)
                             .where(Invitation.accepted_at.is_not(None))) == 1
