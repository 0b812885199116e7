"""/scim/v2/Users: accounts created, found, changed, disabled and deleted by a provisioning
client, with the admin panel's rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, AuditEvent, User, UserSession
from tests.scim.conftest import LIST, new_user, patch


def _user(name: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == name))


def test_create_makes_an_account_without_a_known_password(scim, admin):
    response = scim("POST", "/Users", new_user("alice", externalId="okta-00u1"))

    assert response.status_code == 201, response.json
    body = response.json
    assert body["userName"] == "alice"
    assert body["active"] is True
    assert body["emails"] == [{"value": "alice@example.com"}]
    assert body["externalId"] == "okta-00u1"
    assert response.headers["Location"] == f"http://localhost/scim/v2/Users/{body['id']}"
    assert body["meta"]["version"].startswith('W/"')
    alice = _user("alice")
    assert not alice.password_set and not alice.must_change_password
    assert alice.scim_external_id == "okta-00u1"
    assert (
        db.session.scalar(
            select(AuditEvent.actor_id).where(AuditEvent.action == "admin.user_created")
        )
        == admin.id
    )


def test_create_with_active_false_makes_a_disabled_account(scim):
    response = scim("POST", "/Users", new_user("alice", active=False))

    assert response.status_code == 201
    assert response.json["active"] is False
    assert _user("alice").is_disabled


@pytest.mark.parametrize("taken", ["alice", "ALICE"])
def test_a_taken_username_is_a_409_uniqueness(scim, make_user, taken):
    make_user("alice")

    response = scim("POST", "/Users", new_user(taken) | {"emails": []})

    assert response.status_code == 409
    assert response.json["scimType"] == "uniqueness"
    assert response.json["detail"] == "Username already exists."


def test_the_pages_rules_refuse_a_username_with_invalid_value(scim):
    response = scim("POST", "/Users", new_user("alice") | {"userName": "alice@example.com"})

    assert response.status_code == 400
    assert response.json["scimType"] == "invalidValue"
    assert "letters, digits" in response.json["detail"]
    assert _user("alice@example.com") is None


def test_attributes_we_do_not_keep_are_ignored(scim):
    body = new_user("alice") | {"name": {"givenName": "Alice"}, "title": "CEO"}

    response = scim("POST", "/Users", body)

    assert response.status_code == 201
    assert "name" not in response.json and "title" not in response.json


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    assert response.json["schemas"] == [LIST]
    return [r["userName"] for r in response.json.get("Resources", [])]


@pytest.fixture
def people(make_user, admin):
    make_user("alice", email="alice@example.com", display_name="Alice Liddell")
    make_user("bob", email="bob@example.org", display_name="Bob Builder", is_disabled=True)
    make_user("carol", email=None, display_name="Carol", scim_external_id="ext-3")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "ALICE"', ["alice"]),
        ('userName sw "a"', ["alice"]),
        ('userName co "o"', ["root", "bob", "carol"]),
        ('displayName ew "builder"', ["bob"]),
        ('emails.value eq "BOB@example.org"', ["bob"]),
        ('emails[value ew "example.org"]', ["bob"]),
        ("emails pr", ["root", "alice", "bob"]),
        ('externalId eq "ext-3"', ["carol"]),
        ('externalId eq "EXT-3"', []),
        ("active eq false", ["bob"]),
        ('not (active eq false) and userName ne "root"', ["alice", "carol"]),
        ('userName eq "alice" or userName eq "carol"', ["alice", "carol"]),
        ('meta.created gt "2000-01-01T00:00:00Z"', ["root", "alice", "bob", "carol"]),
        ('id eq "not-a-number"', []),
        ('userName co "%"', []),
    ],
)
def test_filters(scim, people, expression, expected):
    assert _ids(scim("GET", "/Users", query_string={"filter": expression})) == expected


@pytest.mark.parametrize(
    "expression", ['nickName eq "x"', 'active co "t"', 'id gt "1"', "userName eq 1"]
)
def test_a_filter_we_cannot_run_in_sql_is_a_400_invalid_filter(scim, people, expression):
    response = scim("GET", "/Users", query_string={"filter": expression})

    assert response.status_code == 400
    assert response.json["scimType"] == "invalidFilter"


def test_paging_by_start_index_and_count(scim, people):
    response = scim("GET", "/Users", query_string={"startIndex": 2, "count": 2})

    assert _ids(response) == ["alice", "bob"]
    assert response.json["totalResults"] == 4
    assert response.json["startIndex"] == 2
    assert response.json["itemsPerPage"] == 2


def test_a_page_is_two_queries_whatever_its_size(scim, make_user, count_queries):
    for n in range(30):
        make_user(f"user{n:02}")
    scim("GET", "/Users?count=1")  # the token's last use is recorded once a minute

    with count_queries() as queries:
        assert len(_ids(scim("GET", "/Users", query_string={"count": 30}))) == 30
    # the token, its owner, then the count and the page
    assert queries() <= 5


def test_a_user_by_id_and_a_missing_one(scim, make_user):
    alice = make_user("alice")

    assert scim("GET", f"/Users/{alice.id}").json["userName"] == "alice"
    response = scim("GET", "/Users/999999")
    assert response.status_code == 404
    assert scim("GET", "/Users/abc").status_code == 404


def test_patch_renames_and_changes_the_details(scim, make_user):
    alice = make_user("alice")
    body = patch(
        {"op": "replace", "path": "userName", "value": "alice.l"},
        {"op": "replace", "value": {"displayName": "Alice L.", "externalId": "x1"}},
        {"op": "replace", "path": "emails", "value": [{"value": "al@example.com"}]},
    )

    response = scim("PATCH", f"/Users/{alice.id}", body)

    assert response.status_code == 204  # RFC 7644 §3.5.2: no attributes were asked for
    assert response.headers["ETag"].startswith('W/"')
    alice = _user("alice.l")
    assert (alice.display_name, alice.email, alice.scim_external_id) == (
        "Alice L.",
        "al@example.com",
        "x1",
    )
    assert alice.email_verified_at is None  # a new address is proved again


def test_put_replaces_and_removes_the_email(scim, make_user):
    alice = make_user("alice")
    body = new_user("alice") | {"displayName": "A", "emails": []}

    response = scim("PUT", f"/Users/{alice.id}", body)

    assert response.status_code == 200, response.json
    assert "emails" not in response.json
    assert _user("alice").email is None


def test_active_false_disables_ends_sessions_and_revokes_tokens(
    app, scim, make_user, make_token, factory, api
):
    alice = make_user("alice")
    factory.sign_in(app.test_client(), alice)
    alice_token = make_token(alice, "read:users")
    assert api("GET", "/api/v1/me", alice_token).status_code == 200

    response = scim(
        "PATCH", f"/Users/{alice.id}", patch({"op": "replace", "path": "active", "value": False})
    )

    assert response.status_code == 204
    assert scim("GET", f"/Users/{alice.id}").json["active"] is False
    db.session.expire_all()
    assert _user("alice").is_disabled
    open_sessions = select(func.count()).where(
        UserSession.user_id == alice.id, UserSession.ended_at.is_(None)
    )
    assert db.session.scalar(open_sessions) == 0
    live = select(func.count()).where(ApiToken.user_id == alice.id, ApiToken.revoked_at.is_(None))
    assert db.session.scalar(live) == 0
    assert api("GET", "/api/v1/me", alice_token).status_code == 401

    again = scim(
        "PATCH", f"/Users/{alice.id}", patch({"op": "replace", "path": "active", "value": True})
    )
    assert again.status_code == 204 and not _user("alice").is_disabled


def test_the_last_administrator_cannot_be_disabled_by_their_own_token(scim, admin):
    response = scim(
        "PATCH", f"/Users/{admin.id}", patch({"op": "replace", "path": "active", "value": False})
    )

    assert response.status_code == 409
    assert "your own account" in response.json["detail"]
    assert not _user("root").is_disabled


def test_if_match_with_an_old_version_is_a_412(scim, make_user):
    alice = make_user("alice")
    version = scim("GET", f"/Users/{alice.id}").json["meta"]["version"]
    scim(
        "PATCH", f"/Users/{alice.id}", patch({"op": "replace", "path": "displayName", "value": "A"})
    )

    response = scim(
        "PATCH",
        f"/Users/{alice.id}",
        patch({"op": "replace", "path": "displayName", "value": "B"}),
        headers={"If-Match": version},
    )

    assert response.status_code == 412
    assert _user("alice").display_name == "A"


def test_delete_removes_the_account_and_is_audited(scim, make_user, make_org):
    alice = make_user("alice")

    assert scim("DELETE", f"/Users/{alice.id}").status_code == 204
    assert _user("alice") is None
    assert scim("GET", f"/Users/{alice.id}").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.user_deleted"))


def test_an_owner_of_an_organization_cannot_be_deleted(scim, make_user, make_org):
    alice = make_user("alice")
    make_org(alice, slug="acme")

    response = scim("DELETE", f"/Users/{alice.id}")

    assert response.status_code == 409
    assert "owns acme" in response.json["detail"]
    assert _user("alice") is not None


def test_entra_writes_the_address_as_the_work_email(scim, make_user):
    alice = make_user("alice")
    body = patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "al@example.com"},
        {"op": "Replace", "path": "active", "value": "False"},  # Entra's booleans are strings
    )

    assert scim("PATCH", f"/Users/{alice.id}", body).status_code == 204
    alice = _user("alice")
    assert (alice.email, alice.is_disabled) == ("al@example.com", True)
    found = scim("GET", "/Users", query_string={"filter": 'emails[type eq "work"]'})
    assert _ids(found) == ["root", "alice"]
    assert scim("GET", f"/Users/{alice.id}?attributes=emails.type").json["emails"] == [
        {"type": "work"}
    ]
