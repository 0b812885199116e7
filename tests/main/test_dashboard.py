"""The dashboard: the current workspace, its most recently updated projects (at most ten), what
the person can start there, and the invitations waiting for them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from markupsafe import escape

from app.extensions import db
from app.models import Invitation, Project, Role


def test_dashboard_shows_the_ten_most_recently_updated_projects(client, make_user, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.add_all(
        [
            Project(
                name=f"P{i:02d}",
                personal_owner_id=alice.id,
                created_by_id=alice.id,
                created_at=base + timedelta(seconds=i),
                # updated in the reverse order of creation, except P00, touched last
                updated_at=base + timedelta(days=1, seconds=100 if i == 0 else -i),
            )
            for i in range(15)
        ]
        + [Project(name="Bob's", personal_owner_id=bob.id, created_by_id=bob.id)]
    )
    db.session.commit()
    login_as(alice)
    html = client.get("/").get_data(as_text=True)
    shown = re.findall(r'href="/projects/\d+"[^>]*>([^<]+)</a>', html)
    assert shown == ["P00"] + [f"P{i:02d}" for i in range(1, 10)]
    assert '<a href="/projects">All projects (15)</a>' in html


def test_dashboard_of_an_empty_workspace(client, make_user, login_as):
    login_as(make_user("alice"))
    html = client.get("/").get_data(as_text=True)
    assert "Workspace: <span" in html and "Personal</span>" in html
    assert "You have no projects yet." in html and "All projects" not in html
    assert '<a href="/projects/new">Create your first project</a>' in html
    assert '<a href="/orgs/new">start an organization</a>' in html
    assert "pending invitation" not in html


def test_quick_actions_follow_the_role_in_the_current_workspace(
    client, make_user, make_org, login_as
):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="acme", name="Acme", members={bob: Role.WORKER})
    login_as(alice)
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/projects/new" role="button">New project' in html
    assert 'href="/orgs/acme#invitations" role="button" class="secondary">Invite someone' in html
    assert "Acme has no projects yet." in html and 'Your role: <span class="badge">Owner' in html

    login_as(bob)
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    html = client.get("/").get_data(as_text=True)
    assert "New project" not in html and "Invite someone" not in html
    assert "No projects of Acme are assigned to you yet." in html
    assert 'href="/orgs/new" role="button"' in html, "anyone may start an organization"


def invite(org, email: str, inviter) -> None:
    db.session.add(Invitation.issue(org, email, Role.SUPERVISOR, inviter, 7)[0])
    db.session.commit()


def test_pending_invitations_are_announced(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    invite(make_org(owner=bob, slug="acme", name="Acme Corp"), "Alice@Example.com", bob)
    login_as(alice)
    html = client.get("/").get_data(as_text=True)
    assert "1 pending invitation<" in html
    assert '<strong class="long-name">Acme Corp</strong> invites you to join as Supervisor' in html
    assert '<a href="/invitations" role="button">Answer it</a>' in html


def test_dashboard_queries_stay_constant(client, make_user, make_org, login_as, count_queries):
    """The session lookup (with the workspaces), then the recent projects with the number of
    waiting invitations in one statement; their assignees when there are projects, the
    inviting organizations' names when invitations wait. However many there are of each."""

    def queries() -> int:
        with count_queries() as count:
            assert client.get("/").status_code == 200
        return count()

    alice, bob = make_user("alice"), make_user("bob")
    login_as(alice)
    assert queries() == 2, "nothing to show: as before this page had invitations"
    counts = []
    for n in (1, 12):
        for i in range(n):
            db.session.add(
                Project(name=f"P{n}-{i}", personal_owner_id=alice.id, created_by_id=alice.id)
            )
        db.session.commit()
        counts.append(queries())
    for n in (1, 12):
        for i in range(n):
            invite(make_org(owner=bob, name=f"Org {n}-{i}"), "alice@example.com", bob)
        counts.append(queries())
    assert counts == [3, 3, 4, 4]


def test_switch_buttons_share_one_form_and_switch_in_one_step(
    client, make_user, make_org, login_as
):
    """Every organization's Switch button submits the one form of the list: one CSRF token a
    page, not one per organization."""
    me = make_user("alice")
    orgs = [
        make_org(owner=make_user(f"owner{n}"), slug=f"team-{n}", members={me: "worker"})
        for n in range(3)
    ]
    login_as(me)
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('id="orgs-title"') :]
    assert section.count('name="csrf_token"') == 1
    buttons = re.findall(r'form="dashboard-switch" name="workspace" value="team-\d"', section)
    assert len(buttons) == 3
    token = re.search(r'id="dashboard-switch".*?name="csrf_token" value="([^"]+)"', page, re.S)
    assert token is not None
    response = client.post("/workspace", data={"csrf_token": token[1], "workspace": "team-1"})
    assert response.status_code in (302, 303)
    assert f'id="current-workspace">{escape(orgs[1].name)}<' in client.get("/").get_data(
        as_text=True
    )
