"""/api/v1/orgs/<slug>/members: the list, role changes and removals by the matrix of SPEC §5."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Organization, Role
from tests.api.support import accounts, audit_details, by_token, crowd, problem, refused_for_scope


@pytest.fixture
def team(make_org):
    """acme: alice owner, bob maintainer, carol supervisor, dave worker, erin maintainer."""
    names = ("alice", "bob", "carol", "dave", "erin", "mallory")
    people = dict(zip(names, accounts(*names), strict=True))
    roles = {"bob": "maintainer", "carol": "supervisor", "dave": "worker", "erin": "maintainer"}
    make_org(owner=people["alice"], slug="acme", members={people[n]: r for n, r in roles.items()})
    return people


def roles() -> dict[int, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Membership.user_id, Membership.role)).all())


def url(team, name: str) -> str:
    return f"/api/v1/orgs/acme/members/{team[name].id}"


def test_every_member_sees_the_list_owner_first(team, make_token, api):
    answer = api("GET", "/api/v1/orgs/acme/members", make_token(team["dave"], "read:orgs"))
    assert answer.status_code == 200
    listed = [(m["username"], m["role"]) for m in answer.get_json()]
    assert listed == [
        ("alice", "owner"),
        ("bob", "maintainer"),
        ("erin", "maintainer"),
        ("carol", "supervisor"),
        ("dave", "worker"),
    ]
    assert "email" not in answer.get_json()[0]  # the page does not show members' addresses


def test_an_outsider_gets_404_for_the_list_and_every_change(team, make_token, api):
    token = make_token(team["mallory"], "read:orgs", "write:orgs")
    problem(api("GET", "/api/v1/orgs/acme/members", token), 404)
    problem(api("PATCH", url(team, "dave"), token, json={"role": "supervisor"}), 404)
    problem(api("DELETE", url(team, "dave"), token), 404)
    assert roles()[team["dave"].id] == "worker"


def test_scopes(team, make_token, api):
    reader = make_token(team["alice"], "read:orgs")
    writer = make_token(team["alice"], "write:orgs")
    refused_for_scope(api("GET", "/api/v1/orgs/acme/members", writer), "read:orgs")
    refused_for_scope(
        api("PATCH", url(team, "dave"), reader, json={"role": "worker"}), "write:orgs"
    )
    refused_for_scope(api("DELETE", url(team, "dave"), reader), "write:orgs")
    assert len(roles()) == 5


def test_the_owner_changes_a_role_and_the_audit_log_names_the_token(team, make_token, api):
    answer = api(
        "PATCH",
        url(team, "dave"),
        make_token(team["alice"], "write:orgs"),
        json={"role": "maintainer"},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "user_id": team["dave"].id,
        "username": "dave",
        "display_name": team["dave"].display_name,
        "role": "maintainer",
    }
    assert roles()[team["dave"].id] == "maintainer"
    assert audit_details("org.role_changed") == ["worker -> maintainer; token: test token"]


@pytest.mark.parametrize(
    ("actor", "target", "new", "status"),
    [
        ("bob", "dave", "supervisor", 200),  # maintainer: between supervisor and worker
        ("bob", "erin", "worker", 403),  # maintainer: not another maintainer
        ("bob", "carol", "maintainer", 403),  # maintainer: not to maintainer
        ("bob", "alice", "worker", 403),  # never the owner's role
        ("carol", "dave", "supervisor", 403),  # supervisor: no role changes
        ("dave", "carol", "worker", 403),  # worker: no role changes
        ("alice", "alice", "worker", 403),  # never one's own
        ("alice", "dave", "owner", 422),  # never to owner: ownership is transferred
        ("alice", "mallory", "worker", 404),  # not a member
    ],
)
def test_role_changes_follow_the_matrix(team, make_token, api, actor, target, new, status):
    before = roles()
    answer = api(
        "PATCH", url(team, target), make_token(team[actor], "write:orgs"), json={"role": new}
    )
    if status == 200:
        assert answer.status_code == 200 and roles()[team[target].id] == new
        return
    problem(answer, status)
    assert roles() == before


def test_the_owner_removes_a_member_with_the_audit_event(team, make_token, api):
    answer = api("DELETE", url(team, "erin"), make_token(team["alice"], "write:orgs"))
    assert answer.status_code == 204 and answer.get_data() == b""
    assert team["erin"].id not in roles()
    assert by_token("org.member_removed")


@pytest.mark.parametrize(
    ("actor", "target", "status"),
    [
        ("bob", "dave", 204),
        ("bob", "erin", 403),  # a maintainer removes supervisors and workers only
        ("carol", "dave", 403),
        ("dave", "carol", 403),
        ("bob", "alice", 403),  # the owner is never removed
        ("bob", "bob", 403),  # leaving is the page's “Leave”
    ],
)
def test_removals_follow_the_matrix(team, make_token, api, actor, target, status):
    answer = api("DELETE", url(team, target), make_token(team[actor], "write:orgs"))
    if status == 204:
        assert answer.status_code == 204 and team[target].id not in roles()
        return
    problem(answer, status)
    assert team[target].id in roles()


def test_the_list_costs_the_same_statements_for_3_or_30_members(
    make_user, make_org, make_token, api, count_queries
):
    alice = make_user("alice")
    small = make_org(owner=alice, slug="small", members=dict.fromkeys(crowd(2, "small"), "worker"))
    big = make_org(owner=alice, slug="big", members=dict.fromkeys(crowd(29, "big"), "worker"))
    token = make_token(alice, "read:orgs")
    api("GET", "/api/v1/me", token)  # the token's first use is written; later ones not

    def statements(org: Organization, expected: int) -> int:
        with count_queries() as count:
            answer = api("GET", f"/api/v1/orgs/{org.slug}/members", token)
            assert answer.status_code == 200 and len(answer.get_json()) == expected
        return count()

    assert statements(small, 3) == statements(big, 30)


def test_an_administrators_token_with_admin_sees_members_but_changes_nothing(
    team, admin, make_token, api
):
    token = make_token(admin, "read:orgs", "write:orgs", "admin")
    assert api("GET", "/api/v1/orgs/acme/members", token).status_code == 200
    problem(api("PATCH", url(team, "dave"), token, json={"role": "supervisor"}), 403)
    assert roles()[team["dave"].id] == Role.WORKER
