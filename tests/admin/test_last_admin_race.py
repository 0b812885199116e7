"""Two administrators acting on each other at the same moment: one administrator remains.

Each rule is checked with real requests in threads, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.concurrency import at_once


def _form(action: str, other: User) -> tuple[str, str, dict]:
    """(page with the form, URL it posts to, fields) for one action on `other`."""
    edit = f"/admin/users/{other.id}/edit"
    if action == "disable":
        return edit, f"/admin/users/{other.id}/disable", {}
    if action == "demote":  # the edit form sent without the Administrator box
        return edit, edit, {"display_name": other.display_name, "email": other.email}
    return edit, f"/admin/users/{other.id}/delete", {"confirm_username": other.username}


def enabled_admins() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.is_admin.is_(True), User.is_disabled.is_(False))
    )


@pytest.mark.parametrize("action", ["disable", "demote", "delete"])
def test_two_admins_acting_on_each_other_at_once_leave_one_admin(app, factory, make_user, action):
    alice = make_user("alice", is_admin=True)
    bob = make_user("bob", is_admin=True)
    calls = []
    for me, other in ((alice, bob), (bob, alice)):
        client = app.test_client()
        factory.sign_in(client, me)
        page, url, fields = _form(action, other)
        fields["csrf_token"] = client.csrf_token(page)
        calls.append(lambda client=client, url=url, fields=fields: client.post(url, data=fields))

    statuses = [response.status_code for response in at_once(*calls)]

    assert all(status < 500 for status in statuses), statuses
    assert 303 in statuses, statuses  # one of them did it
    assert enabled_admins() == 1
