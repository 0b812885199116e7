"""/invitations reads its rows and their organizations in a fixed number of queries."""

from __future__ import annotations

from app.extensions import db
from app.models import Invitation, Role


def test_my_invitations_take_as_many_queries_for_ten_rows_as_for_one(
    client, make_user, make_org, login_as, count_queries
):
    alice, bob = make_user("alice"), make_user("bob")
    login_as(bob)

    def invited_to(n: int) -> int:
        for _ in range(n):
            invitation, _ = Invitation.issue(
                make_org(owner=alice), bob.email, Role.WORKER, alice, 7
            )
            db.session.add(invitation)
        db.session.commit()
        with count_queries() as count:
            page = client.get("/invitations")
            assert page.status_code == 200
        return count()

    one = invited_to(1)
    ten = invited_to(9)
    assert ten == one, (one, ten)
