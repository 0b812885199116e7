"""Projects in the current workspace: list, create, edit, assign, delete, move."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import func, select, update

from app import settings
from app.extensions import db
from app.models import AuditEvent, Membership, Project, ProjectAssignee, Role


def assignees(project_id: int) -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            select(ProjectAssignee.user_id).where(ProjectAssignee.project_id == project_id)
        )
    )


def test_personal_project_lifecycle(client, make_user, login_as):
    alice = make_user("alice")
    login_as(alice)
    response = client.submit(
        "/projects/new", {"name": "Thesis", "description": "Chapter 1", "organization_id": "5"}
    )
    assert response.status_code == 303
    project = db.session.scalar(select(Project))
    assert (project.personal_owner_id, project.organization_id, project.created_by_id) == (
        alice.id,
        None,
        alice.id,
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "project.created")
        )
        == 1
    )
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
    response = client.submit(
        f"/projects/{project.id}/assign",
        {"assignees": [carol.id]},
        page=page,
        follow_redirects=True,
    )
    assert "Only members" in response.get_data(as_text=True)
    assert assignees(project.id) == set()
    client.submit(f"/projects/{project.id}/assign", {"assignees": [alice.id, bob.id]}, page=page)
    assert assignees(project.id) == {alice.id, bob.id}


def test_move_between_personal_and_org_keeps_only_fitting_assignees(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    project = Project(name="P", organization_id=org.id, created_by_id=alice.id)
    db.session.add(project)
    db.session.flush()
    db.session.add_all(
        [
            ProjectAssignee(project_id=project.id, user_id=alice.id),
            ProjectAssignee(project_id=project.id, user_id=bob.id),
        ]
    )
    db.session.commit()
    login_as(alice)
    page = f"/projects/{project.id}"
    assert (
        client.submit(
            f"/projects/{project.id}/transfer", {"workspace": "personal"}, page=page
        ).status_code
        == 303
    )
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
    assert (
        client.submit(
            f"/projects/{project_id}/transfer", {"workspace": "acme"}, page=page
        ).status_code
        == 403
    )
    assert (
        client.submit(
            f"/projects/{project_id}/transfer", {"workspace": "other"}, page=page
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert db.session.get(Project, project_id).personal_owner_id == bob.id


def test_project_list_runs_a_fixed_number_of_queries(
    client, make_user, make_org, login_as, count_queries
):
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


def add_projects(org, creator, n, start=0):
    """`n` projects in `org`, created one second apart (the highest number is the newest)."""
    from datetime import datetime, timedelta

    base = datetime(2026, 1, 1, tzinfo=UTC)
    projects = [
        Project(
            name=f"P{i:03d}",
            organization_id=org.id,
            created_by_id=creator.id,
            created_at=base + timedelta(seconds=i),
            updated_at=base + timedelta(seconds=i),
        )
        for i in range(start, start + n)
    ]
    db.session.add_all(projects)
    db.session.commit()
    return projects


def project_names(html: str) -> list[str]:
    import re

    return re.findall(r'href="/projects/\d+"[^>]*>(P\d{3})</a>', html)


def in_org(client, make_user, make_org, login_as, role=None):
    """alice owns "acme" with 1000 allowed projects; the signed-in person is alice, or a new
    member with `role`."""
    settings.set_many({"free_org_projects": 1000})
    db.session.commit()
    alice = make_user("alice")
    member = make_user("bob") if role else alice
    org = make_org(owner=alice, slug="acme", members={member: role} if role else {})
    login_as(member)
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    return alice, member, org


def test_project_list_pages_by_fifty_newest_first(client, make_user, make_org, login_as):
    alice, _, org = in_org(client, make_user, make_org, login_as)
    add_projects(org, alice, 120)
    first = client.get("/projects").get_data(as_text=True)
    assert project_names(first) == [f"P{i:03d}" for i in range(119, 69, -1)]
    assert "1–50 of 120 projects" in first
    assert 'href="/projects?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/projects?page=3").get_data(as_text=True)
    assert project_names(last) == [f"P{i:03d}" for i in range(19, -1, -1)]
    assert 'href="/projects?page=2" rel="prev"' in last and 'rel="next"' not in last
    beyond = client.get("/projects?page=9").get_data(as_text=True)
    assert project_names(beyond) == [] and "Page 9 of" not in beyond
    assert 'href="/projects?page=3">Go to the last page (3)' in beyond
    assert project_names(client.get("/projects?page=x").get_data(as_text=True))[0] == "P119"


def test_project_list_without_a_second_page_has_no_pager(client, make_user, make_org, login_as):
    alice, _, org = in_org(client, make_user, make_org, login_as)
    add_projects(org, alice, 3)
    html = client.get("/projects").get_data(as_text=True)
    assert project_names(html) == ["P002", "P001", "P000"] and 'class="pager"' not in html


def test_paged_list_keeps_the_visibility_rules(client, make_user, make_org, login_as):
    alice, bob, org = in_org(client, make_user, make_org, login_as, Role.SUPERVISOR)
    theirs = add_projects(org, alice, 60)
    add_projects(org, bob, 2, start=60)
    db.session.add(ProjectAssignee(project_id=theirs[5].id, user_id=bob.id))
    db.session.commit()
    # A supervisor: their own and those assigned to them, out of 62.
    assert project_names(client.get("/projects").get_data(as_text=True)) == ["P061", "P060", "P005"]
    assert "All projects (3)" in client.get("/").get_data(as_text=True)
    # A worker: only those assigned to them, not even the ones they created.
    db.session.execute(
        update(Membership).where(Membership.user_id == bob.id).values(role=Role.WORKER)
    )
    db.session.commit()
    assert project_names(client.get("/projects").get_data(as_text=True)) == ["P005"]
    assert "All projects (1)" in client.get("/").get_data(as_text=True)


def test_project_page_queries_do_not_grow_with_the_projects(
    client, make_user, make_org, login_as, count_queries
):
    alice, _, org = in_org(client, make_user, make_org, login_as)
    member = make_user("m0")
    db.session.add(Membership(organization_id=org.id, user_id=member.id, role=Role.WORKER))
    counts = {}
    for start, added in ((0, 10), (10, 90)):  # 10 projects, then 100, all assigned
        for project in add_projects(org, alice, added, start=start):
            db.session.add(ProjectAssignee(project_id=project.id, user_id=member.id))
        db.session.commit()
        for path in ("/projects", "/projects?page=2", "/"):
            with count_queries() as n:
                assert client.get(path).status_code == 200
            counts[start + added, path] = n()
    assert counts[10, "/projects"] == counts[100, "/projects"] == counts[100, "/projects?page=2"]
    assert counts[10, "/"] == counts[100, "/"]
