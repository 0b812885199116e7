"""Projects in the current workspace: list, create, edit, assign, delete, move."""
from __future__ import annotations

from sqlalchemy import func, select

from app import settings
from app.extensions import db
from app.models import AuditEvent, Project, ProjectAssignee, Role


def assignees(project_id: int) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(ProjectAssignee.user_id)
                                  .where(ProjectAssignee.project_id == project_id)))


def test_personal_project_lifecycle(client, make_user, login_as):
    alice = make_user("alice")
    login_as(alice)
    response = client.submit("/projects/new", {"name": "Thesis", "description": "Chapter 1",
                                               "organization_id": "5"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert (project.personal_owner_id, project.organization_id, project.created_by_id) == \
        (alice.id, None, alice.id)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "project.created")) == 1
    assert "Thesis" in client.get("/projects").get_data(as_text=True)
    assert "Thesis" in client.get("/").get_data(as_text=True)
    client.submit(f"/projects/{project.id}/edit", {"name": "Thesis v2"})
    db.session.expire_all()
    assert project.name == "Thesis v2"
    client.submit(f"/projects/{project.id}/delete", page=f"/projects/{project.id}")
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_invalid_project_form_is_422(client, make_user, login_as):
    login_as(make_user("alice"))
    for name in ("", "x" * 101, "bad\x00name"):
        assert client.submit("/projects/new", {"name": name}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_personal_projects_are_assigned_only_to_oneself(client, make_user, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    login_as(alice)
    client.submit("/projects/new", {"name": "Mine"})
    project_id = db.session.scalar(select(Project.id))
    page = f"/projects/{project_id}"
    client.submit(f"/projects/{project_id}/assign", {"assignees": [bob.id]}, page=page)
    assert assignees(project_id) == set()
    client.submit(f"/projects/{project_id}/assign", {"assignees": [alice.id]}, page=page)
    assert assignees(project_id) == {alice.id}


def test_org_projects_are_assigned_only_to_members(client, make_user, make_org, login_as):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    project = Project(name="P", organization_id=org.id, created_by_id=alice.id)
    db.session.add(project)
    db.session.commit()
    login_as(alice)
    page = f"/projects/{project.id}"
    response = client.submit(f"/projects/{project.id}/assign", {"assignees": [carol.id]},
                             page=page, follow_redirects=True)
    assert "Only members" in response.get_data(as_text=True)
    assert assignees(project.id) == set()
    client.submit(f"/projects/{project.id}/assign", {"assignees": [alice.id, bob.id]}, page=page)
    assert assignees(project.id) == {alice.id, bob.id}


def test_move_between_personal_and_org_keeps_only_fitting_assignees(client, make_user, make_org,
                                                                    login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    project = Project(name="P", organization_id=org.id, created_by_id=alice.id)
    db.session.add(project)
    db.session.flush()
    db.session.add_all([ProjectAssignee(project_id=project.id, user_id=alice.id),
                        ProjectAssignee(project_id=project.id, user_id=bob.id)])
    db.session.commit()
    login_as(alice)
    page = f"/projects/{project.id}"
    assert client.submit(f"/projects/{project.id}/transfer", {"workspace": "personal"},
                         page=page).status_code == 303
    db.session.expire_all()
    assert (project.organization_id, project.personal_owner_id) == (None, alice.id)
    assert assignees(project.id) == {alice.id}
    client.submit(f"/projects/{project.id}/transfer", {"workspace": "acme"}, page=page)
    db.session.expire_all()
    assert (project.organization_id, project.personal_owner_id) == (org.id, None)


def test_cannot_move_into_an_org_where_one_cannot_create(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    login_as(bob)
    client.submit("/projects/new", {"name": "Bob's"})
    project_id = db.session.scalar(select(Project.id))
    page = f"/projects/{project_id}"
    assert client.submit(f"/projects/{project_id}/transfer", {"workspace": "acme"},
                         page=page).status_code == 403
    assert client.submit(f"/projects/{project_id}/transfer", {"workspace": "other"},
                         page=page).status_code == 404
    db.session.expire_all()
    assert db.session.get(Project, project_id).personal_owner_id == bob.id


def test_project_list_runs_a_fixed_number_of_queries(client, make_user, make_org, login_as,
                                                     count_queries):
    settings.set_many({"free_org_projects": 1000})
    db.session.commit()
    alice = make_user("alice")
    others = [make_user(f"m{n}") for n in range(3)]
    org = make_org(owner=alice, slug="acme", members={u: Role.WORKER for u in others})
    login_as(alice)
    client.submit("/workspace", {"workspace": "acme"}, page="/")

    def add(n):
        for i in range(n):
            project = Project(name=f"P{i}", organization_id=org.id, created_by_id=alice.id)
            db.session.add(project)
            db.session.flush()
            for u in others:
                db.session.add(ProjectAssignee(project_id=project.id, user_id=u.id))
        db.session.commit()

    add(2)
    with count_queries() as few:
        assert client.get("/projects").status_code == 200
    add(20)
    with count_queries() as many:
        page = client.get("/projects").get_data(as_text=True)
    assert page.count("M0") >= 22
    assert many() == few()
