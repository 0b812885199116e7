"""The session's bookkeeping is an explicit step before each request (web.keep_session_up);
Flask-Login's user loader only reads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select, update

from app.extensions import db, utcnow
from app.models import AuditEvent, UserSession


def _age(record_id: int, **columns) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == record_id).values(**columns))
    db.session.commit()


def _row(record_id: int) -> UserSession:
    db.session.expire_all()
    try:
        return db.session.get_one(UserSession, record_id)
    finally:
        db.session.commit()  # outside a request the read holds SQLite's write lock


def _statements_of_loader(app, client, path: str) -> list[str]:
    """The statements run while Flask-Login's loader runs."""
    from app.auth import web

    seen: list[str] = []
    original = web.sessions.find

    def listener(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    def find(*args, **kwargs):
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            return original(*args, **kwargs)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)

    web.sessions.find = find
    try:
        client.get(path)
    finally:
        web.sessions.find = original
    return seen


def test_last_seen_moves_on_in_its_own_step_and_the_loader_only_reads(
    app, client, factory, make_user
):
    record = factory.sign_in(client, make_user("alice"))
    two_minutes_ago = utcnow() - timedelta(minutes=2)
    _age(record.id, last_seen_at=two_minutes_ago)
    statements = _statements_of_loader(app, client, "/account")
    assert statements and all(s == "BEGIN" or s.startswith("SELECT") for s in statements)
    assert _row(record.id).last_seen_at > two_minutes_ago + timedelta(seconds=90)


def test_an_expired_session_is_ended_and_the_request_goes_on_signed_out(client, factory, make_user):
    record = factory.sign_in(client, make_user("alice"))
    _age(record.id, expires_at=utcnow() - timedelta(seconds=1))
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    row = _row(record.id)
    assert row.ended_at is not None and row.end_reason == "expired"


def test_a_new_day_of_use_is_audited_once(client, factory, make_user):
    record = factory.sign_in(client, make_user("alice"), remember=True)  # no idle limit
    _age(record.id, last_seen_at=utcnow() - timedelta(days=1))
    client.get("/account")
    client.get("/account")
    active = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "session.active")
    ).all()
    assert len(active) == 1


def test_a_refused_post_after_a_privilege_change_keeps_the_person_signed_in(
    app, client, factory, make_user, make_org
):
    """The new session of a rotation is committed before the view runs: a view that refuses and
    rolls back does not take it along."""
    owner, bob = make_user("owner"), make_user("bob")
    org = make_org(owner=owner, slug="acme", members={bob: "maintainer"})
    factory.sign_in(client, bob)
    client.get("/orgs/acme")
    owner_client = app.test_client()
    factory.sign_in(owner_client, owner)
    changed = owner_client.submit(
        f"/orgs/acme/members/{bob.id}/role", {"role": "worker"}, page="/orgs/acme"
    )
    assert changed.status_code in (302, 303)
    refused = client.submit(  # a worker may not change roles: refused, rolled back
        f"/orgs/acme/members/{owner.id}/role", {"role": "worker"}, page="/orgs/acme"
    )
    assert refused.status_code in (403, 404)
    assert client.get("/orgs/acme").status_code == 200  # still signed in, on the new session
    assert org.slug == "acme"
