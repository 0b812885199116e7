"""/api/v1/projects: what each role sees (SPEC §5), paging, and changes by the pages' services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api import cursor
from app.extensions import db, utcnow
from app.models import Organization, Project, ProjectAssignee, User
from tests.api.support import accounts, by_token, crowd, problem, refused_for_scope
from tests.concurrency import at_once

URL = "/api/v1/projects"


@pytest.fixture
def team(make_org):
    """acme: alice owner, bob maintainer, carol supervisor, dave worker; mallory outside."""
    names = ("alice", "bob", "carol", "dave", "mallory")
    people = dict(zip(names, accounts(*names), strict=True))
    roles = {"bob": "maintainer", "carol": "supervisor", "dave": "worker"}
    make_org(owner=people["alice"], slug="acme", members={people[n]: r for n, r in roles.items()})
    return people


def add(name: str, by: User, org: Organization | None = None, assignees=(), age: int = 0) -> int:
    """A project straight into the database (no plan limit), `age` minutes old."""
    project = Project(
        name=name,
        created_by_id=by.id,
        organization_id=org.id if org else None,
        personal_owner_id=None if org else by.id,
        created_at=utcnow() - timedelta(minutes=age),
    )
    db.session.add(project)
    db.session.flush()
    db.session.add_all(ProjectAssignee(project_id=project.id, user_id=u.id) for u in assignees)
    db.session.commit()
    return project.id


def acme() -> Organization:
    return db.session.scalars(select(Organization).where(Organization.slug == "acme")).one()


@pytest.fixture
def work(team, make_org):
    """Projects of every kind, the newest first: what the list shows in that order."""
    org, p = acme(), team
    elsewhere = make_org(owner=p["mallory"], slug="elsewhere")
    return {
        "alices": add("Alice's", p["alice"], org, age=1),
        "carols": add("Carol's", p["carol"], org, age=2),
        "for dave": add("For Dave", p["alice"], org, assignees=[p["dave"], p["carol"]], age=3),
        "daves own": add("Dave's own", p["dave"], age=4),
        "elsewhere": add("Elsewhere", p["mallory"], elsewhere, age=5),
    }


def names(answer) -> list[str]:
    assert answer.status_code == 200, answer.get_json()
    return [item["name"] for item in answer.get_json()["items"]]


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("alice", ["Alice's", "Carol's", "For Dave"]),
        ("bob", ["Alice's", "Carol's", "For Dave"]),
        ("carol", ["Carol's", "For Dave"]),  # a supervisor: their own and their assignments
        ("dave", ["For Dave", "Dave's own"]),  # a worker: their assignments, and personal ones
        ("mallory", ["Elsewhere"]),
    ],
)
def test_each_role_sees_what_the_pages_show(team, work, make_token, api, who, seen):
    assert names(api("GET", URL, make_token(team[who], "read:orgs"))) == seen


def test_the_list_names_each_workspace_and_who_may_manage(team, work, make_token, api):
    items = api("GET", URL, make_token(team["carol"], "read:orgs")).get_json()["items"]
    shown = [(i["name"], i["org"], i["can_manage"]) for i in items]
    assert shown == [("Carol's", "acme", True), ("For Dave", "acme", False)]
    assert [a["username"] for a in items[1]["assignees"]] == ["carol", "dave"]


def test_filtered_by_workspace(team, work, make_token, api):
    token = make_token(team["dave"], "read:orgs")
    assert names(api("GET", URL, token, query_string={"org": "acme"})) == ["For Dave"]
    assert names(api("GET", URL, token, query_string={"org": "personal"})) == ["Dave's own"]
    problem(api("GET", URL, token, query_string={"org": "elsewhere"}), 404)


def test_pages_follow_the_cursor_without_gaps_or_repeats(team, make_token, api):
    for n in range(5):
        add(f"P{n}", team["alice"], age=n)
    token = make_token(team["alice"], "read:orgs")
    seen, args = [], {"limit": 2}
    while True:
        body = api("GET", URL, token, query_string=args).get_json()
        seen.append([i["name"] for i in body["items"]])
        if body["next_cursor"] is None:
            break
        args["cursor"] = body["next_cursor"]
    assert seen == [["P0", "P1"], ["P2", "P3"], ["P4"]]
    problem(api("GET", URL, token, query_string={"cursor": "nonsense"}), 400)
    past_the_end = cursor.encode("created", "9999-12-31T23:59:59-14:00", 1)
    problem(api("GET", URL, token, query_string={"cursor": past_the_end}), 400)


def test_reading_and_writing_need_their_scopes(team, work, make_token, api):
    reader, writer = make_token(team["alice"], "read:orgs"), make_token(team["alice"], "write:orgs")
    refused_for_scope(api("GET", URL, writer), "read:orgs")
    refused_for_scope(api("GET", f"{URL}/{work['alices']}", writer), "read:orgs")
    refused_for_scope(api("POST", URL, reader, json={"name": "N"}), "write:orgs")
    refused_for_scope(
        api("PATCH", f"{URL}/{work['alices']}", reader, json={"name": "N"}), "write:orgs"
    )
    refused_for_scope(api("DELETE", f"{URL}/{work['alices']}", reader), "write:orgs")
    assert db.session.scalar(select(func.count()).select_from(Project)) == 5


def test_create_a_personal_project_audited(team, make_token, api):
    answer = api("POST", URL, make_token(team["dave"], "write:orgs"), json={"name": "Mine"})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["org"], body["can_manage"]) == (None, True)
    assert answer.headers["Location"].endswith(f"{URL}/{body['id']}")
    project = db.session.get(Project, body["id"])
    assert (project.personal_owner_id, project.name) == (team["dave"].id, "Mine")
    assert by_token("project.created")
    again = api(
        "POST",
        URL,
        make_token(team["dave"], "write:orgs"),
        json={"name": "Also", "org": "personal"},
    )
    assert again.status_code == 201 and again.get_json()["org"] is None


@pytest.mark.parametrize(
    ("who", "status"), [("bob", 201), ("carol", 201), ("dave", 403), ("mallory", 404)]
)
def test_who_creates_in_an_organization(team, make_token, api, who, status):
    answer = api(
        "POST", URL, make_token(team[who], "write:orgs"), json={"name": "N", "org": "acme"}
    )
    if status == 201:
        assert answer.status_code == 201 and answer.get_json()["org"] == "acme"
    else:
        problem(answer, status)
    assert db.session.scalar(select(func.count()).select_from(Project)) == (status == 201)


def test_the_plan_limits_projects(team, make_token, api):
    for n in range(3):  # the Free plan's personal projects
        add(f"P{n}", team["alice"])
    body = problem(
        api("POST", URL, make_token(team["alice"], "write:orgs"), json={"name": "4"}), 422
    )
    assert "reached the Free plan's 3 projects" in body["detail"]


def test_change_the_name_and_assignees(team, work, make_token, api):
    token = make_token(team["bob"], "write:orgs")
    url = f"{URL}/{work['alices']}"
    answer = api("PATCH", url, token, json={"name": "Renamed", "assignees": [team["dave"].id]})
    assert answer.status_code == 200, answer.get_json()
    assert [a["username"] for a in answer.get_json()["assignees"]] == ["dave"]
    db.session.expire_all()
    assert db.session.get(Project, work["alices"]).name == "Renamed"
    assert by_token("project.assigned")
    body = problem(api("PATCH", url, token, json={"assignees": [team["mallory"].id]}), 422)
    assert "Only members" in body["detail"]
    problem(api("PATCH", url, token, json={"name": ""}), 422)


@pytest.mark.parametrize(
    ("who", "project", "status"),
    [
        ("carol", "for dave", 403),  # assigned: sees it, may not change it
        ("carol", "alices", 404),  # neither created nor assigned: not there
        ("dave", "for dave", 403),
        ("mallory", "alices", 404),
    ],
)
def test_who_may_not_change_or_delete(team, work, make_token, api, who, project, status):
    token = make_token(team[who], "write:orgs", "read:orgs")
    url = f"{URL}/{work[project]}"
    problem(api("PATCH", url, token, json={"name": "Taken over"}), status)
    problem(api("DELETE", url, token), status)
    assert api("GET", url, token).status_code == (200 if status == 403 else 404)
    db.session.expire_all()
    assert db.session.get(Project, work[project]).name != "Taken over"


def test_delete_audited(team, work, make_token, api):
    token = make_token(team["carol"], "write:orgs")
    assert api("DELETE", f"{URL}/{work['carols']}", token).status_code == 204
    assert db.session.get(Project, work["carols"]) is None
    assert by_token("project.deleted")


def test_the_list_costs_the_same_statements_for_3_or_30_projects(
    team, make_org, make_token, api, count_queries
):
    alice = team["alice"]
    workers = crowd(30, "w")
    small = make_org(owner=team["bob"], slug="small", members={alice: "worker"})
    big = make_org(owner=team["carol"], slug="big", members={alice: "supervisor"})
    for n in range(3):
        add(f"S{n}", team["bob"], small, assignees=[alice, workers[n]])
    for n in range(30):
        add(f"B{n}", alice, big, assignees=[alice, workers[n]])
    token = make_token(alice, "read:orgs")
    api("GET", "/api/v1/me", token)  # the token's first use is written; later ones not

    def statements(slug: str, expected: int) -> int:
        with count_queries() as count:
            assert len(names(api("GET", URL, token, query_string={"org": slug}))) == expected
        return count()

    assert statements("small", 3) == statements("big", 30)
    with count_queries() as count:  # every workspace at once: no more than one of them
        assert len(names(api("GET", URL, token))) == 33
    assert count() <= statements("big", 30)


def test_the_last_personal_slot_goes_to_one_of_two_simultaneous_creations(app, team, make_token):
    for n in range(2):  # 2 of the Free plan's 3
        add(f"P{n}", team["alice"])
    token = make_token(team["alice"], "write:orgs")

    def create(name: str) -> int:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        return client.post(URL, json={"name": name}, headers=headers).status_code

    statuses = at_once(lambda: create("Racer 1"), lambda: create("Racer 2"))

    assert sorted(statuses) == [201, 422], statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Project)) == 3


def test_move_between_workspaces(team, work, make_token, api):
    token = make_token(team["carol"], "write:orgs")
    url = f"{URL}/{work['carols']}/transfer"
    answer = api("POST", url, token, json={"workspace": "personal"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["org"] is None
    db.session.expire_all()
    assert db.session.get(Project, work["carols"]).personal_owner_id == team["carol"].id
    assert by_token("project.transferred")
    problem(api("POST", url, token, json={"workspace": "elsewhere"}), 404)
    problem(api("POST", url, token, json={"workspace": "personal"}), 422)  # already there
    worker = make_token(team["dave"], "write:orgs")
    move = {"workspace": "personal"}
    problem(api("POST", f"{URL}/{work['for dave']}/transfer", worker, json=move), 403)
