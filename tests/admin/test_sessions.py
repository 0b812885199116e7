"""GET /admin/sessions and revoking sessions as an administrator."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, UserSession
from tests.admin.tables import pager_text


def rows(html: str) -> int:
    return len(re.findall(r'action="/admin/sessions/\d+/revoke"', html))


def test_lists_live_sessions_and_filters_by_user(admin_client, make_user, factory):
    sue = make_user(username="sue", display_name="<script>alert(1)</script>")
    tom = make_user(username="tom")
    factory.session_for(sue)
    factory.session_for(sue)
    ended, _ = factory.session_for(tom)
    factory.session_for(tom)
    from app.auth import sessions

    sessions.end(ended, "logout")
    db.session.commit()
    html = admin_client.get("/admin/sessions").get_data(as_text=True)
    assert rows(html) == 4  # sue 2, tom 1 (one ended), root 1
    assert "pytest" in html and "127.0.0.1" in html
    html = admin_client.get(f"/admin/sessions?user={sue.id}").get_data(as_text=True)
    assert rows(html) == 2 and "sue" in html and "2 sessions" in html
    assert admin_client.get("/admin/sessions?user=999").status_code == 404


def test_admin_revokes_one_session(admin_client, app, admin, make_user, factory):
    user = make_user(username="uma")
    other = app.test_client()
    record = factory.sign_in(other, user)
    keep = app.test_client()
    factory.sign_in(keep, user)
    response = admin_client.submit(
        f"/admin/sessions/{record.id}/revoke",
        {"next": f"/admin/sessions?user={user.id}"},
        page="/admin/sessions",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/sessions?user={user.id}")
    assert other.get("/").status_code == 302  # that cookie no longer works
    assert keep.get("/").status_code == 200
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).ended_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.revoked"))
    assert event.actor_id == admin.id and event.target_user_id == user.id
    again = admin_client.submit(
        f"/admin/sessions/{record.id}/revoke", {}, page="/admin/sessions", follow_redirects=True
    )
    assert "already ended" in again.get_data(as_text=True)


def test_admin_revokes_all_sessions_of_a_user(admin_client, app, make_user, factory):
    user = make_user(username="vic")
    clients = [app.test_client() for _ in range(3)]
    for c in clients:
        factory.sign_in(c, user)
    response = admin_client.submit(
        f"/admin/users/{user.id}/sessions/revoke", {}, page="/admin/sessions"
    )
    assert response.status_code == 303
    assert all(c.get("/").status_code == 302 for c in clients)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).open_sessions == 0


def test_revoking_ones_own_sessions_keeps_the_current_one(admin_client, admin, factory):
    factory.session_for(admin)
    response = admin_client.submit(
        f"/admin/users/{admin.id}/sessions/revoke", {}, page="/admin/sessions"
    )
    assert response.status_code == 303
    assert admin_client.get("/admin/sessions").status_code == 200
    db.session.expire_all()
    assert db.session.get(type(admin), admin.id).open_sessions == 1


def test_query_count_does_not_grow_with_the_page(admin_client, bulk, count_queries):
    ids = bulk.users(40, prefix="s")
    bulk.sessions(ids, per_user=3)

    def run(n: int) -> int:
        with count_queries() as count:
            html = admin_client.get(f"/admin/sessions?per_page={n}").get_data(as_text=True)
            assert rows(html) == n
        return count()

    assert run(10) == run(100)


def test_filter_by_name_lands_on_the_users_sessions(admin_client, make_user, factory):
    sue = make_user(username="sue")
    factory.session_for(sue)
    response = admin_client.get("/admin/sessions?username=SUE&per_page=25")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/sessions?per_page=25&user={sue.id}"
    unknown = admin_client.get("/admin/sessions?username=nobody")
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and "No account is named “nobody”." in html
    assert 'aria-describedby="session-user-error"' in html and rows(html) == 0


def test_devices_are_named_and_the_pager_keeps_the_filter(admin_client, bulk, factory):
    ids = bulk.users(1, prefix="many")
    bulk.sessions(ids, per_user=30)
    html = admin_client.get(f"/admin/sessions?user={ids[0]}&per_page=10&page=2")
    html = html.get_data(as_text=True)
    assert rows(html) == 10 and pager_text(html) == "11–20 of 30 sessions"
    assert f'href="/admin/sessions?user={ids[0]}&amp;per_page=10&amp;page=3" rel="next"' in html
    assert 'title="bulk">Unknown device</td>' in html  # the raw user agent on hover
    past = admin_client.get(f"/admin/sessions?user={ids[0]}&per_page=10&page=9")
    assert pager_text(past.get_data(as_text=True)) == "21–30 of 30 sessions"


def test_organizations_are_paged_with_their_plan(admin_client, admin, make_user, count_queries):
    from tests.admin.conftest import Bulk

    owner = make_user(username="olga")
    bulk = Bulk()
    for n in range(30):
        bulk.org_with_projects(owner.id, [admin.id], f"lab{n:02d}")

    def run(n: int) -> tuple[int, str]:
        with count_queries() as count:
            html = admin_client.get(f"/admin/orgs?per_page={n}").get_data(as_text=True)
        return count(), html

    few, html = run(10)
    assert pager_text(html) == "1–10 of 30 organizations" and ">Free</a>" in html
    assert 'href="/admin/users/' in html  # the owner links to their page
    many, html = run(25)
    assert few == many and html.count('href="/admin/plans?org=lab') == 25
