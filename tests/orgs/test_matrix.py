"""SPEC §5's role matrix, cell by cell and from both sides, through the routes.

The expected answers are written out here from the spec, independently of app.permissions, so a
wrong cell in the code's matrix shows up as a failing case. A refused member gets 403 and the
database is unchanged.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import settings
from app.extensions import db
from app.models import Invitation, Membership, Organization, Project, ProjectAssignee, Role

O, M, S, W = "owner", "maintainer", "supervisor", "worker"  # noqa: E741
ROLES = (O, M, S, W)


@pytest.fixture
def app_overrides():
    return {"ARGON2_MEMORY_COST": 1024, "ARGON2_TIME_COST": 1}  # cheap hashes: many users here


@pytest.fixture
def world(app, make_user, make_org, login_as, client):
    """acme with one member per role as actors, plus a second maintainer, supervisor and worker
    as targets; `world.act(role)` signs that role's actor in."""
    settings.set_many(
        {"free_org_members": 100, "free_org_projects": 100, "free_personal_projects": 100}
    )
    db.session.commit()
    people = {r: make_user(r) for r in ROLES}
    targets = {r: make_user(f"{r}2") for r in (M, S, W)}
    org = make_org(
        owner=people[O],
        slug="acme",
        name="Acme",
        members={**{people[r]: r for r in (M, S, W)}, **{targets[r]: r for r in (M, S, W)}},
    )

    class World:
        pass

    w = World()
    w.org, w.people, w.targets, w.client = org, people, targets, client
    w.act = lambda role: login_as(people[role])
    return w


def state(org_id: int) -> tuple:
    """Everything a refused action must leave alone."""
    db.session.expire_all()
    org = db.session.get(Organization, org_id)
    return (
        (org.name, org.owner_id) if org else None,
        sorted(db.session.execute(select(Membership.user_id, Membership.role)).all()),
        sorted(db.session.execute(select(Invitation.id, Invitation.token_hash)).all()),
        sorted(db.session.execute(select(Project.id, Project.name, Project.organization_id)).all()),
        sorted(
            db.session.execute(select(ProjectAssignee.project_id, ProjectAssignee.user_id)).all()
        ),
    )


def check(w, allowed: bool, url: str, data: dict | None = None, page: str = "/orgs/acme"):
    before = state(w.org.id)
    response = w.client.submit(url, data or {}, page=page)
    if allowed:
        assert response.status_code == 303, (url, response.status_code)
        assert state(w.org.id) != before, f"{url} was allowed but changed nothing"
    else:
        assert response.status_code == 403, (url, response.status_code)
        assert state(w.org.id) == before, f"{url} was refused but changed the database"
    return response


# Organization -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ROLES)
def test_view_page_and_members(world, actor):
    world.act(actor)
    page = world.client.get("/orgs/acme")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert all(u.username in text for u in world.targets.values())


@pytest.mark.parametrize("actor", ROLES)
def test_edit_details(world, actor):
    world.act(actor)
    check(world, actor in (O, M), "/orgs/acme/edit", {"name": "Renamed"})


INVITE_ALLOWED = {O: {M, S, W}, M: {S, W}, S: set(), W: set()}


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("role", (M, S, W))
def test_invite(world, actor, role):
    world.act(actor)
    check(
        world,
        role in INVITE_ALLOWED[actor],
        "/orgs/acme/invitations",
        {"email": "new@example.com", "role": role},
    )


def test_nobody_invites_an_owner(world):
    world.act(O)
    before = state(world.org.id)
    response = world.client.submit(
        "/orgs/acme/invitations", {"email": "x@example.com", "role": O}, page="/orgs/acme"
    )
    assert response.status_code == 422 and state(world.org.id) == before


@pytest.mark.parametrize("action", ("resend", "delete"))
@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("role", (M, S, W))
def test_resend_and_delete_invitations(world, actor, role, action):
    invitation, _ = Invitation.issue(world.org, "new@example.com", Role(role), world.people[O], 7)
    db.session.add(invitation)
    db.session.commit()
    world.act(actor)
    check(world, role in INVITE_ALLOWED[actor], f"/orgs/acme/invitations/{invitation.id}/{action}")


def role_change_allowed(actor: str, target: str, new: str) -> bool:
    if target == O or new == O:
        return False
    if actor == O:
        return True
    return actor == M and target in (S, W) and new in (S, W)


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("target, new", [(t, n) for t in (O, M, S, W) for n in (M, S, W) if t != n])
def test_change_role(world, actor, target, new):
    world.act(actor)
    person = world.people[O] if target == O else world.targets[target]
    check(
        world,
        role_change_allowed(actor, target, new),
        f"/orgs/acme/members/{person.id}/role",
        {"role": new},
    )


@pytest.mark.parametrize("actor", (M, S, W))
def test_never_ones_own_role(world, actor):
    world.act(actor)
    new = W if actor != W else S
    check(world, False, f"/orgs/acme/members/{world.people[actor].id}/role", {"role": new})


@pytest.mark.parametrize("actor", ROLES)
def test_never_to_owner(world, actor):
    world.act(actor)
    before = state(world.org.id)
    response = world.client.submit(
        f"/orgs/acme/members/{world.targets[W].id}/role", {"role": O}, page="/orgs/acme"
    )
    assert response.status_code in (403, 422) and state(world.org.id) == before


REMOVE_ALLOWED = {O: {M, S, W}, M: {S, W}, S: set(), W: set()}


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("target", ROLES)
def test_remove_member(world, actor, target):
    world.act(actor)
    person = world.people[O] if target == O else world.targets[target]
    check(world, target in REMOVE_ALLOWED[actor], f"/orgs/acme/members/{person.id}/remove")


@pytest.mark.parametrize("actor", ROLES)
def test_leave(world, actor):
    world.act(actor)
    before = state(world.org.id)
    response = world.client.submit("/orgs/acme/leave", page="/orgs/acme")
    if actor == O:
        assert response.status_code == 403 and state(world.org.id) == before
    else:
        assert response.status_code == 303
        assert world.people[actor].id not in {u for u, _ in state(world.org.id)[1]}


@pytest.mark.parametrize("actor", ROLES)
def test_transfer_ownership(world, actor):
    world.act(actor)
    check(
        world,
        actor == O,
        "/orgs/acme/transfer",
        {"new_owner": world.targets[M].id, "confirm_slug": "acme"},
    )


@pytest.mark.parametrize("actor", ROLES)
def test_delete_organization(world, actor):
    world.act(actor)
    check(world, actor == O, "/orgs/acme/delete", {"confirm_slug": "acme"})


# Projects ---------------------------------------------------------------------------------


def add_project(world, name: str, creator: str, assigned: tuple = ()) -> Project:
    project = Project(
        name=name, organization_id=world.org.id, created_by_id=world.people[creator].id
    )
    db.session.add(project)
    db.session.flush()
    for role in assigned:
        db.session.add(ProjectAssignee(project_id=project.id, user_id=world.people[role].id))
    db.session.commit()
    return project


VISIBLE = {
    O: {"by-s", "to-w", "to-s", "nobody"},
    M: {"by-s", "to-w", "to-s", "nobody"},
    S: {"by-s", "to-s"},
    W: {"to-w"},
}


@pytest.mark.parametrize("actor", ROLES)
def test_see_projects(world, actor):
    projects = {
        "by-s": add_project(world, "by-s", S),
        "to-w": add_project(world, "to-w", O, (W,)),
        "to-s": add_project(world, "to-s", O, (S,)),
        "nobody": add_project(world, "nobody", O),
    }
    world.act(actor)
    world.client.submit("/workspace", {"workspace": "acme"}, page="/")
    listing = world.client.get("/projects").get_data(as_text=True)
    for name, project in projects.items():
        expected = name in VISIBLE[actor]
        assert (f">{name}</a>" in listing) == expected, (actor, name)
        status = world.client.get(f"/projects/{project.id}").status_code
        assert status == (200 if expected else 404), (actor, name)


@pytest.mark.parametrize("actor", ROLES)
def test_create_projects(world, actor):
    world.act(actor)
    world.client.submit("/workspace", {"workspace": "acme"}, page="/")
    before = state(world.org.id)
    response = world.client.submit("/projects/new", {"name": "Fresh"}, page="/projects")
    if actor in (O, M, S):
        assert response.status_code == 303 and state(world.org.id) != before
    else:
        assert response.status_code == 403 and state(world.org.id) == before
        assert "New project" not in world.client.get("/projects").get_data(as_text=True)


MANAGE = [
    ("edit", {"name": "Changed"}),
    ("delete", {}),
    ("transfer", {"workspace": "personal"}),
    ("assign", {"assignees": []}),
]


@pytest.mark.parametrize("actor", ROLES)
@pytest.mark.parametrize("whose", ("own", "shared"))
@pytest.mark.parametrize("action, data", MANAGE)
def test_edit_delete_transfer_assign_projects(world, actor, whose, action, data):
    # Every actor can see both projects (they are assigned), so a refusal is 403, not 404.
    creator = actor if whose == "own" else O
    project = add_project(world, "target", creator, assigned=ROLES)
    world.act(actor)
    allowed = actor in (O, M) or (actor == S and whose == "own")
    check(world, allowed, f"/projects/{project.id}/{action}", data, page=f"/projects/{project.id}")
