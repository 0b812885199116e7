"""/api/v1/users: the admin panel's user actions, for administrators' tokens (SPEC §9)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.api import cursor
from app.extensions import db
from app.models import ApiToken, AuditEvent, User, UserSession
from tests.concurrency import at_once

NEW = {"username": "carol", "email": "carol@example.com", "password": "a long enough passphrase 42"}


@pytest.fixture
def root(make_user):
    return make_user(username="root", is_admin=True)


@pytest.fixture
def writer(root, make_token):
    return make_token(root, "read:users", "write:users", "admin")


def audit_of(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_administrator_creates_an_account_and_the_audit_names_the_token(api, writer):
    answer = api("POST", "/api/v1/users", writer, json=NEW)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["username"] == "carol" and "temporary_password" not in body
    assert answer.headers["Location"].endswith(f"/api/v1/users/{body['id']}")
    assert db.session.scalar(select(User).where(User.username == "carol")) is not None
    (event,) = audit_of("admin.user_created")
    assert event.actor_name == "root" and "token: test token" in event.detail


def test_without_a_password_a_temporary_one_is_returned_once(api, writer):
    answer = api("POST", "/api/v1/users", writer, json={"username": "dave"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert len(body["temporary_password"]) > 20 and body["must_change_password"] is True
    again = api("GET", f"/api/v1/users/{body['id']}", writer).get_json()
    assert "temporary_password" not in again


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "x"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": "not an address"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "carol" + "x" * 20}, "password"),
    ],
)
def test_the_pages_rules_refuse_bad_attributes_next_to_their_name(api, writer, changes, field):
    answer = api("POST", "/api/v1/users", writer, json={**NEW, **changes})
    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    body = answer.get_json()
    assert body["field"] == field and field in body["errors"]
    assert db.session.scalar(select(func.count(User.id))) == 1  # only root


def test_a_body_of_the_wrong_shape_is_422_with_each_attribute(api, writer):
    answer = api("POST", "/api/v1/users", writer, json={"username": 7, "is_admin": "perhaps"})
    assert answer.status_code == 422
    errors = answer.get_json()["errors"]["json"]
    assert set(errors) == {"username", "is_admin"}


def test_a_taken_username_is_refused_on_the_field(api, writer, make_user):
    make_user(username="Carol", email="other@example.com")
    answer = api("POST", "/api/v1/users", writer, json=NEW)
    assert answer.status_code in (409, 422)
    assert answer.get_json()["field"] == "username"


def test_update_keeps_what_is_not_sent(api, writer, make_user):
    bob = make_user(username="bob", display_name="Bob B")
    answer = api("PATCH", f"/api/v1/users/{bob.id}", writer, json={"is_admin": True})
    assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    bob = db.session.get(User, bob.id)
    assert bob.is_admin and bob.display_name == "Bob B" and bob.email == "bob@example.com"


def test_a_new_password_ends_the_persons_sessions(api, writer, make_user, factory):
    bob = make_user(username="bob")
    factory.session_for(bob)
    answer = api("PATCH", f"/api/v1/users/{bob.id}", writer, json={"password": NEW["password"]})
    assert answer.status_code == 200
    live = select(func.count(UserSession.id)).where(UserSession.ended_at.is_(None))
    assert db.session.scalar(live) == 0


def test_disable_ends_sessions_and_tokens_and_enable_undoes_it(api, writer, make_user, make_token):
    bob = make_user(username="bob")
    bobs = make_token(bob, "read:users")
    assert api("POST", f"/api/v1/users/{bob.id}/disable", writer).get_json()["is_disabled"]
    assert api("GET", "/api/v1/me", bobs).status_code == 401
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == bob.id))
    answer = api("POST", f"/api/v1/users/{bob.id}/enable", writer)
    assert answer.status_code == 200 and not answer.get_json()["is_disabled"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/users/{id}/disable", None),
        ("PATCH", "/api/v1/users/{id}", {"is_admin": False}),
        ("DELETE", "/api/v1/users/{id}", None),
    ],
)
def test_two_administrators_acting_on_each_other_at_once_leave_one(
    app, make_user, make_token, method, path, body
):
    alice = make_user(username="alice", is_admin=True)
    bob = make_user(username="bob", is_admin=True)
    calls = []
    for me, other in ((alice, bob), (bob, alice)):
        headers = {"Authorization": f"Bearer {make_token(me, 'write:users', 'admin')}"}
        url = path.format(id=other.id)
        client = app.test_client()
        calls.append(
            lambda c=client, u=url, h=headers: c.open(u, method=method, headers=h, json=body)
        )

    statuses = sorted(answer.status_code for answer in at_once(*calls))

    assert statuses[0] in (200, 204) and statuses[1] in (401, 403, 404, 422), statuses
    db.session.expire_all()
    admins = select(func.count(User.id)).where(User.is_admin, User.is_disabled.is_(False))
    assert db.session.scalar(admins) == 1


def test_unlock_clears_the_failures(api, writer, make_user):
    bob = make_user(username="bob", failed_logins=100, recovery_locked=True)
    assert api("POST", f"/api/v1/users/{bob.id}/unlock", writer).status_code == 200
    db.session.expire_all()
    bob = db.session.get(User, bob.id)
    assert (bob.failed_logins, bob.recovery_locked) == (0, False)


def test_delete_removes_the_account_and_unknown_ids_are_404(api, writer, make_user):
    bob = make_user(username="bob")
    assert api("DELETE", f"/api/v1/users/{bob.id}", writer).status_code == 204
    assert db.session.get(User, bob.id) is None
    answer = api("DELETE", f"/api/v1/users/{bob.id}", writer)
    assert answer.status_code == 404 and answer.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("scopes", "status"),
    [
        (("read:users",), 403),  # an administrator's token without `admin`
        (("admin",), 403),  # without `read:users`
        (("read:users", "admin"), 200),
    ],
)
def test_listing_needs_read_users_and_admin(api, root, make_token, scopes, status):
    answer = api("GET", "/api/v1/users", make_token(root, *scopes))
    assert answer.status_code == status
    if status == 403:
        assert "insufficient_scope" in answer.headers["WWW-Authenticate"]


def test_a_person_who_is_not_an_administrator_is_refused(api, make_user, make_token):
    bob = make_user(username="bob")
    token = make_token(bob, "read:users", "write:users")
    assert api("GET", "/api/v1/users", token).status_code == 403
    assert api("GET", f"/api/v1/users/{bob.id}", token).status_code == 403
    assert api("POST", f"/api/v1/users/{bob.id}/unlock", token).status_code == 403


def test_write_needs_write_users(api, root, make_token, make_user):
    bob = make_user(username="bob")
    reader = make_token(root, "read:users", "admin")
    assert api("POST", f"/api/v1/users/{bob.id}/disable", reader).status_code == 403
    db.session.expire_all()
    assert not db.session.get(User, bob.id).is_disabled


def test_a_service_token_acts_only_while_its_maker_is_an_administrator(
    api, root, make_user, make_token
):
    other = make_user(username="other", is_admin=True)
    token = make_token(other, "read:users", "admin", service=True)
    assert api("GET", "/api/v1/users", token).status_code == 200
    other.is_admin = False
    db.session.commit()
    assert api("GET", "/api/v1/users", token).status_code == 401


def test_cursor_paging_walks_every_account_once_in_order(api, root, make_user, make_token):
    for n in range(11):
        make_user(username=f"user{n:02}")
    token = make_token(root, "read:users", "admin")
    for sort in ("username", "-username", "created", "-created"):
        seen, cursor = [], None
        while True:
            query = {"limit": 4, "sort": sort, **({"cursor": cursor} if cursor else {})}
            body = api("GET", "/api/v1/users", token, query_string=query).get_json()
            seen += [item["username"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 12 and len(set(seen)) == 12
        if sort.lstrip("-") == "username":
            assert seen == sorted(seen, reverse=sort.startswith("-"))


def test_search_and_bad_cursors(api, root, make_user, make_token):
    make_user(username="zed", display_name="Zed Quux")
    token = make_token(root, "read:users", "admin")
    found = api("GET", "/api/v1/users", token, query_string={"q": "quux"}).get_json()
    assert [item["username"] for item in found["items"]] == ["zed"]
    for bad in ("!!!", "W10", "WyJ1c2VybmFtZSIsMSwxXQ"):  # garbage, [], a number as name
        answer = api("GET", "/api/v1/users", token, query_string={"cursor": bad})
        assert answer.status_code == 400, bad
        assert answer.get_json()["field"] == "cursor"
    # Hand-made times: not a time, and one past the calendar's end once in UTC.
    for when in ("yesterday", "9999-12-31T23:59:59-14:00"):
        made = cursor.encode("created", when, 1)
        answer = api(
            "GET", "/api/v1/users", token, query_string={"cursor": made, "sort": "created"}
        )
        assert answer.status_code == 400 and answer.get_json()["field"] == "cursor", when
    first = api("GET", "/api/v1/users", token, query_string={"limit": 1}).get_json()
    query = {"cursor": first["next_cursor"], "sort": "-created"}
    answer = api("GET", "/api/v1/users", token, query_string=query)
    assert answer.status_code == 400


def test_listing_costs_the_same_statements_for_any_number_of_rows(
    api, root, make_user, make_token, count_queries
):
    token = make_token(root, "read:users", "admin")
    api("GET", "/api/v1/users", token)  # the token's last use is written once a minute
    counts = []
    for total in (3, 30):
        while db.session.scalar(select(func.count(User.id))) < total:
            make_user()
        with count_queries() as statements:
            body = api("GET", "/api/v1/users", token).get_json()
        assert len(body["items"]) == total
        counts.append(statements())
    assert counts[0] == counts[1]
