"""SECURITY 21: when a person's admin flag or an organization role changes, their next request
gets a new session id. The old cookie stops working; the person stays signed in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import UserSession
from tests.concurrency import at_once


@pytest.fixture
def admin_client(client, admin, login_as):
    login_as(admin)
    return client


def sid(client) -> str | None:
    with client.session_transaction() as flask_session:
        return flask_session.get("sid")


def cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def open_sessions(user_id: int) -> list[int]:
    """The privilege epochs of the person's open sessions. The test's read ends at once: outside
    a request it holds SQLite's write lock, which the next request may need."""
    try:
        return list(
            db.session.scalars(
                select(UserSession.privilege_epoch).where(
                    UserSession.user_id == user_id, UserSession.ended_at.is_(None)
                )
            )
        )
    finally:
        db.session.commit()


def test_promotion_gives_a_new_session_id_and_kills_the_old_cookie(
    app, admin_client, make_user, factory
):
    gina = make_user("gina")
    browser = app.test_client()
    factory.sign_in(browser, gina)
    assert browser.get("/account").status_code == 200
    old_sid, old_cookie = sid(browser), cookie(browser)
    assert browser.get("/account").status_code == 200 and sid(browser) == old_sid  # no change

    response = admin_client.submit(
        f"/admin/users/{gina.id}/edit",
        {"display_name": "Gina", "email": "gina@example.com", "is_admin": "y"},
    )
    assert response.status_code == 303

    assert browser.get("/admin/").status_code == 200  # still signed in, now an admin
    assert sid(browser) != old_sid
    assert open_sessions(gina.id) == [1]
    replay = with_cookie(app, old_cookie)
    assert replay.get("/account").status_code == 302  # the old cookie is signed out
    ended = db.session.scalars(
        select(UserSession.user_id).where(UserSession.end_reason == "rotated")
    ).all()
    assert ended == [gina.id]


def test_a_role_change_rotates_the_members_session_but_not_the_owners(
    app, client, make_user, make_org, factory
):
    owner, bob = make_user("owner"), make_user("bob")
    make_org(owner=owner, slug="acme", members={bob: "worker"})
    factory.sign_in(client, owner)
    bob_browser = app.test_client()
    factory.sign_in(bob_browser, bob)
    bob_browser.get("/orgs/acme")
    owner_sid, bob_sid = sid(client), sid(bob_browser)

    response = client.submit(
        f"/orgs/acme/members/{bob.id}/role", {"role": "supervisor"}, page="/orgs/acme"
    )
    assert response.status_code in (302, 303)
    assert bob_browser.get("/orgs/acme").status_code == 200
    assert sid(bob_browser) != bob_sid
    client.get("/orgs/acme")
    assert sid(client) == owner_sid  # the owner's privileges did not change


def test_requests_racing_with_the_old_cookie_leave_one_live_session(
    app, admin_client, make_user, factory
):
    gina = make_user("gina")
    browser = app.test_client()
    factory.sign_in(browser, gina)
    browser.get("/account")
    old_cookie = cookie(browser)
    admin_client.submit(
        f"/admin/users/{gina.id}/edit",
        {"display_name": "Gina", "email": "gina@example.com", "is_admin": "y"},
    )
    db.session.commit()

    def visit():
        response = with_cookie(app, old_cookie).get("/account")
        return response.status_code, response.headers.get("Location", ""), response.headers

    results = at_once(*([visit] * 4))
    # One request ends the old record and sends a new cookie. A request that loaded the record
    # before that commit goes on this once; one that arrives after it holds a dead cookie and is
    # sent to sign in, as any ended session is. Never an error, never two new sessions.
    assert all(
        status == 200 or (status == 302 and where.startswith("/login"))
        for status, where, _ in results
    ), results
    renewed = [h for status, _, h in results if status == 200 and "Set-Cookie" in h]
    assert len(renewed) >= 1
    assert len(open_sessions(gina.id)) == 1, "one rotation, whatever the number of requests"
