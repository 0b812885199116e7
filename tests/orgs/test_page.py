"""The organization page: its sections, the separate role and removal controls per member, the
organization's projects and the danger zone, in a constant number of queries."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Project, ProjectAssignee, Role


def forms(html: str) -> dict[str, str]:
    """Each POST form of the page by its action."""
    return {
        action: body
        for action, body in re.findall(
            r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S
        )
    }


def roles(org) -> dict[int, str]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Membership.user_id, Membership.role).where(Membership.organization_id == org.id)
        ).all()
    )


def test_role_change_and_removal_are_separate_labelled_controls(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob", display_name="Bob")
    org = make_org(owner=alice, slug="acme", name="Acme", members={bob: Role.WORKER})
    login_as(alice)
    html = client.get("/orgs/acme").get_data(as_text=True)
    found = forms(html)
    role_form = found[f"/orgs/acme/members/{bob.id}/role"]
    remove_form = found[f"/orgs/acme/members/{bob.id}/remove"]
    assert f'<label for="role-{bob.id}" class="visually-hidden">Role of Bob</label>' in role_form
    assert '<option value="worker" selected>Worker</option>' in role_form
    assert re.findall(r"<button[^>]*>([^<]+)</button>", role_form) == ["Change role"]
    assert "remove" not in role_form.lower()
    assert re.findall(r"<button[^>]*>([^<]+)</button>", remove_form) == ["Remove"]
    assert 'aria-label="Remove Bob from the organization"' in remove_form
    assert "<select" not in remove_form
    # the confirmation belongs to the removal form only
    assert re.search(r'action="/orgs/acme/members/\d+/remove"[^>]*data-confirm="Remove Bob', html)
    assert not re.search(r'action="/orgs/acme/members/\d+/role"[^>]*data-confirm', html)

    response = client.submit(
        f"/orgs/acme/members/{bob.id}/role", {"role": "supervisor"}, page="/orgs/acme"
    )
    assert response.status_code == 303
    assert roles(org) == {alice.id: Role.OWNER, bob.id: Role.SUPERVISOR}, "nobody removed"
    assert "Bob’s role is now Supervisor." in client.get("/orgs/acme").get_data(as_text=True)


def test_a_refused_role_is_shown_next_to_that_members_control(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    login_as(alice)
    response = client.submit(
        f"/orgs/acme/members/{bob.id}/role", {"role": "owner"}, page="/orgs/acme"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="role-{bob.id}-error">Choose Maintainer, Supervisor or Worker.' in html
    assert f'aria-describedby="role-{bob.id}-error"' in html
    assert roles(org)[bob.id] == Role.WORKER


def test_sections_of_the_page_for_the_owner(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme", name="Acme", members={bob: Role.MAINTAINER})
    login_as(alice)
    html = client.get("/orgs/acme").get_data(as_text=True)
    for section in ("overview", "members", "invitations", "projects", "settings", "danger-zone"):
        assert f'<section id="{section}"' in html and f'href="#{section}"' in html, section
    assert html.count("<h1") == 1
    danger = html[html.index('<section id="danger-zone" class="danger-zone"') :]
    assert "Transfer ownership" in danger and "Delete the organization" in danger
    assert "Leave" not in danger, "the owner cannot leave"
    # both confirmations keep the field name of SPEC, with an id each
    assert danger.count('name="confirm_slug"') == 2
    assert 'id="transfer-confirm-slug"' in danger and 'id="delete-confirm-slug"' in danger
    assert 'your role: <span class="badge">Owner</span>' in html


def test_a_worker_sees_members_read_only_and_may_leave(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme", name="Acme", members={bob: Role.WORKER})
    login_as(bob)
    html = client.get("/orgs/acme").get_data(as_text=True)
    assert "/role" not in html and "/remove" not in html and 'id="invitations"' not in html
    assert re.search(r"<td>\s*Owner\s*</td>", html), "roles are shown as text, capitalised"
    danger = html[html.index('<section id="danger-zone"') :]
    assert "Leave the organization" in danger and "Delete" not in danger


def test_an_administrator_viewing_gets_no_danger_zone(client, admin, make_user, make_org, login_as):
    make_org(owner=make_user("bob"), slug="bobs", name="Bob's Org")
    login_as(admin)
    html = client.get("/orgs/bobs").get_data(as_text=True)
    assert "viewing as administrator" in html and 'id="danger-zone"' not in html


def add_project(org, creator, name, assignee=None) -> Project:
    project = Project(name=name, organization_id=org.id, created_by_id=creator.id)
    db.session.add(project)
    db.session.flush()
    if assignee is not None:
        db.session.add(ProjectAssignee(project_id=project.id, user_id=assignee.id))
    db.session.commit()
    return project


def test_projects_section_lists_what_the_viewer_may_see(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", name="Acme", members={bob: Role.WORKER})
    add_project(org, alice, "Spectra", assignee=bob)
    add_project(org, alice, "Budget")
    login_as(alice)
    html = client.get("/orgs/acme").get_data(as_text=True)
    projects = html[html.index('<section id="projects"') : html.index('<section id="settings"')]
    assert "Spectra" in projects and "Budget" in projects
    assert "Work in Acme" in projects, "not the current workspace: offer to switch to it"
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    html = client.get("/orgs/acme").get_data(as_text=True)
    assert '<a href="/projects">All 2 projects</a>' in html
    assert '<a href="/projects/new" role="button" class="secondary">New project</a>' in html

    login_as(bob)
    html = client.get("/orgs/acme").get_data(as_text=True)
    projects = html[html.index('<section id="projects"') : html.index('<section id="settings"')]
    assert "Spectra" in projects and "Budget" not in projects
    assert "you are assigned to" in projects and "New project" not in projects


def test_switching_from_the_projects_section_opens_the_project_list(
    client, make_user, make_org, login_as
):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    response = client.submit(
        "/workspace", {"workspace": "acme", "next": "/projects"}, page="/orgs/acme"
    )
    assert response.status_code == 303 and response.headers["Location"] == "/projects"


def test_org_page_queries_do_not_grow(client, make_user, make_org, login_as, count_queries):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    counts = []
    for batch in (1, 10):
        for i in range(batch):
            member = make_user(f"m{batch}-{i}")
            db.session.add(Membership(organization_id=org.id, user_id=member.id, role=Role.WORKER))
            add_project(org, alice, f"P{batch}-{i}", assignee=member)
        with count_queries() as count:
            assert client.get("/orgs/acme").status_code == 200
        counts.append(count())
    # session, organization with owner, viewer's role, members, invitations, projects, assignees
    assert counts == [7, 7]
