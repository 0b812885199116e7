"""/api/v1/orgs: list, create, read and edit organizations with the pages' rules (SPEC §5, §9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Organization
from tests.api.support import by_token, problem, refused_for_scope


@pytest.fixture
def acme(make_user, make_org):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    make_org(owner=alice, slug="acme", members={bob: "maintainer", carol: "supervisor"})
    return alice, bob, carol


def test_the_list_is_the_callers_organizations_with_role_and_members(
    acme, make_user, make_org, make_token, api
):
    alice, bob, _ = acme
    make_org(owner=make_user("zed"), slug="elsewhere")
    make_org(owner=bob, slug="bobs", name="Bob's")
    answer = api("GET", "/api/v1/orgs", make_token(bob, "read:orgs"))
    assert answer.status_code == 200
    rows = [(o["slug"], o["role"], o["member_count"]) for o in answer.get_json()]
    assert rows == [("acme", "maintainer", 3), ("bobs", "owner", 1)]


def test_reading_needs_read_orgs(acme, make_token, api):
    token = make_token(acme[0], "write:orgs", "read:users")
    refused_for_scope(api("GET", "/api/v1/orgs", token), "read:orgs")
    refused_for_scope(api("GET", "/api/v1/orgs/acme", token), "read:orgs")


def test_a_member_reads_the_organization(acme, make_token, api):
    answer = api("GET", "/api/v1/orgs/acme", make_token(acme[2], "read:orgs"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["slug"], body["role"], body["member_count"]) == ("acme", "supervisor", 3)
    assert body["owner_id"] == acme[0].id and body["created_at"].endswith("+00:00")


def test_an_outsider_is_told_nothing_exists(acme, make_user, make_token, api):
    token = make_token(make_user("mallory"), "read:orgs", "write:orgs")
    missing = problem(api("GET", "/api/v1/orgs/nowhere", token), 404)
    hidden = problem(api("GET", "/api/v1/orgs/acme", token), 404)
    assert missing == hidden
    problem(api("PATCH", "/api/v1/orgs/acme", token, json={"name": "Mine"}), 404)


def test_an_administrator_reads_any_organization_only_with_an_admin_token(
    acme, admin, make_token, api
):
    problem(api("GET", "/api/v1/orgs/acme", make_token(admin, "read:orgs")), 404)
    answer = api("GET", "/api/v1/orgs/acme", make_token(admin, "read:orgs", "admin"))
    assert answer.status_code == 200 and answer.get_json()["role"] is None
    # Viewing is all the matrix gives an administrator outside the organization.
    token = make_token(admin, "write:orgs", "admin")
    problem(api("PATCH", "/api/v1/orgs/acme", token, json={"name": "Root's"}), 403)


def test_create_makes_the_caller_owner_and_is_audited(make_user, make_token, api):
    alice = make_user("alice")
    answer = api(
        "POST", "/api/v1/orgs", make_token(alice, "write:orgs"), json={"name": "Acme Corp!"}
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Location"].endswith("/api/v1/orgs/acme-corp")
    assert answer.get_json()["role"] == "owner"
    org = db.session.scalars(select(Organization).where(Organization.slug == "acme-corp")).one()
    membership = db.session.scalars(select(Membership).where(Membership.user_id == alice.id)).one()
    assert (org.owner_id, membership.role) == (alice.id, "owner")
    assert by_token("org.created")


def test_create_needs_write_orgs(make_user, make_token, api):
    token = make_token(make_user("alice"), "read:orgs")
    refused_for_scope(api("POST", "/api/v1/orgs", token, json={"name": "Acme"}), "write:orgs")
    assert db.session.scalar(select(Organization.id)) is None


def test_the_free_plan_refuses_a_second_owned_organization(acme, make_token, api):
    token = make_token(acme[0], "write:orgs")
    body = problem(api("POST", "/api/v1/orgs", token, json={"name": "Second"}), 422)
    assert "the most the Free plan allows" in body["detail"]
    assert db.session.scalar(select(Organization.id).where(Organization.slug == "second")) is None


def test_the_pages_rules_check_the_attributes(make_user, make_token, api):
    token = make_token(make_user("alice"), "write:orgs")
    body = problem(api("POST", "/api/v1/orgs", token, json={"name": "X", "slug": "admin"}), 422)
    assert body["field"] == "slug" and "reserved" in body["errors"]["slug"][0]
    body = problem(api("POST", "/api/v1/orgs", token, json={"slug": "fine"}), 422)
    assert body["errors"]["json"]["name"] == ["Missing data for required field."]


def test_a_taken_slug_is_refused_on_its_field(acme, make_user, make_token, api):
    token = make_token(make_user("dave"), "write:orgs")
    body = problem(api("POST", "/api/v1/orgs", token, json={"name": "A", "slug": "acme"}), 422)
    assert body["field"] == "slug" and body["detail"] == "That short name is already taken."


def test_a_maintainer_edits_the_details_sent_and_keeps_the_others(acme, make_token, api):
    _, bob, _ = acme
    token = make_token(bob, "write:orgs")
    answer = api("PATCH", "/api/v1/orgs/acme", token, json={"location": "Lyon"})
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["name"], answer.get_json()["location"]) == ("Acme", "Lyon")
    db.session.expire_all()
    org = db.session.scalars(select(Organization)).one()
    assert (org.name, org.location) == ("Acme", "Lyon")
    assert by_token("org.updated")


def test_a_supervisor_may_not_edit_and_bad_input_is_refused_first_by_role(acme, make_token, api):
    token = make_token(acme[2], "write:orgs")
    body = problem(api("PATCH", "/api/v1/orgs/acme", token, json={"phone": "letters"}), 403)
    assert "does not allow you to edit the organization" in body["detail"]
    token = make_token(acme[0], "write:orgs")
    body = problem(api("PATCH", "/api/v1/orgs/acme", token, json={"phone": "letters"}), 422)
    assert body["field"] == "phone"


def test_editing_needs_write_orgs(acme, make_token, api):
    token = make_token(acme[0], "read:orgs")
    refused_for_scope(api("PATCH", "/api/v1/orgs/acme", token, json={"name": "N"}), "write:orgs")
