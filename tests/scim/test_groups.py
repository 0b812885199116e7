"""/scim/v2/Groups: organizations and their members, with the organizations' rules."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Membership, Organization, Role
from tests.scim.conftest import GROUP, patch


def _roles(org_id: int) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Membership.user_id, Membership.role).where(Membership.organization_id == org_id)
    )
    return {user_id: role for user_id, role in rows}


def _group(name: str, *members) -> dict:
    return {
        "schemas": [GROUP],
        "displayName": name,
        "members": [{"value": str(m.id)} for m in members],
    }


def test_create_makes_an_organization_owned_by_the_tokens_administrator(scim, admin, make_user):
    alice = make_user("alice")

    response = scim("POST", "/Groups", _group("Acme Corp!", alice) | {"externalId": "g-1"})

    assert response.status_code == 201, response.json
    body = response.json
    assert body["displayName"] == "Acme Corp!"
    assert body["externalId"] == "g-1"
    assert body["members"] == [
        {
            "value": str(alice.id),
            "$ref": f"http://localhost/scim/v2/Users/{alice.id}",
            "type": "User",
        }
    ]
    org = db.session.get(Organization, int(body["id"]))
    assert (org.slug, org.owner_id) == ("acme-corp", admin.id)
    assert _roles(org.id) == {admin.id: Role.OWNER, alice.id: Role.WORKER}


def test_a_second_group_of_the_same_name_gets_its_own_short_name(scim, roomy_plans):
    first = scim("POST", "/Groups", _group("Acme")).json["id"]
    second = scim("POST", "/Groups", _group("Acme")).json["id"]

    slugs = [db.session.get(Organization, int(i)).slug for i in (first, second)]
    assert slugs == ["acme", "acme-2"]


def test_the_plan_limit_on_owned_organizations_applies(scim, make_org, admin):
    make_org(admin, slug="mine")  # the Free plan's one organization

    response = scim("POST", "/Groups", _group("Acme"))

    assert response.status_code == 409
    assert "the most the Free plan allows" in response.json["detail"]


def test_members_are_added_and_removed_by_patch_and_audited(scim, admin, make_user, make_org):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(admin, slug="acme", members={alice: "worker"})

    added = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "add", "path": "members", "value": [{"value": str(bob.id)}]}),
    )
    removed = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "remove", "path": f'members[value eq "{alice.id}"]'}),
    )

    assert (added.status_code, removed.status_code) == (204, 204)
    assert _roles(org.id) == {admin.id: Role.OWNER, bob.id: Role.WORKER}
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.organization_id == org.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == ["org.member_added", "org.member_removed"]


def test_the_owner_is_not_a_member_the_client_manages(scim, admin, make_user, make_org):
    alice = make_user("alice")
    org = make_org(admin, slug="acme", members={alice: "maintainer"})

    listed = scim("GET", f"/Groups/{org.id}").json["members"]
    replaced = scim("PUT", f"/Groups/{org.id}", _group("Acme", admin))

    assert [m["value"] for m in listed] == [str(alice.id)]
    assert replaced.status_code == 200, replaced.json
    assert "members" not in replaced.json
    assert _roles(org.id) == {admin.id: Role.OWNER}  # alice removed, the owner kept


def test_a_member_seat_limit_refuses_the_whole_change(scim, admin, make_user, make_org):
    org = make_org(admin, slug="acme")
    people = [make_user(f"user{n}") for n in range(3)]  # the Free plan: 3 members, owner included

    response = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "add", "path": "members", "value": [{"value": str(p.id)} for p in people]}),
    )

    assert response.status_code == 409
    assert "members" in response.json["detail"]
    assert _roles(org.id) == {admin.id: Role.OWNER}


def test_an_unknown_member_is_an_invalid_value(scim, admin, make_org):
    org = make_org(admin, slug="acme")

    response = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "add", "path": "members", "value": [{"value": "999999"}]}),
    )

    assert response.status_code == 400
    assert response.json["scimType"] == "invalidValue"


def test_an_organization_the_administrator_has_no_role_in_is_read_only(scim, make_user, make_org):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(alice, slug="alices")

    assert scim("GET", f"/Groups/{org.id}").status_code == 200
    response = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "add", "path": "members", "value": [{"value": str(bob.id)}]}),
    )

    assert response.status_code == 403
    assert _roles(org.id) == {alice.id: Role.OWNER}


def test_filters_on_name_external_id_and_members(scim, admin, make_user, make_org):
    alice = make_user("alice")
    acme = make_org(admin, slug="acme", name="Acme", members={alice: "worker"})
    make_org(alice, slug="other", name="Other", scim_external_id="ext")

    def names(expression: str) -> list[str]:
        found = scim("GET", "/Groups", query_string={"filter": expression}).json
        return [g["displayName"] for g in found.get("Resources", [])]

    assert names('displayName eq "acme"') == ["Acme"]
    assert names('externalId eq "ext"') == ["Other"]
    assert names(f'members.value eq "{alice.id}"') == ["Acme"]  # an owner is not a member
    assert names(f'members[value eq "{admin.id}"]') == []
    assert names("members pr") == ["Acme"]
    assert acme.id


def test_rename_and_delete(scim, admin, make_org):
    org = make_org(admin, slug="acme")

    renamed = scim(
        "PATCH",
        f"/Groups/{org.id}",
        patch({"op": "replace", "path": "displayName", "value": "Acme Ltd"}),
    )
    deleted = scim("DELETE", f"/Groups/{org.id}")

    assert (renamed.status_code, deleted.status_code) == (204, 204)
    db.session.expire_all()
    assert db.session.get(Organization, org.id) is None
    assert scim("GET", f"/Groups/{org.id}").status_code == 404
