"""A person outside an organization gets 404 on every page, action and project of it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Project,
    ProjectAssignee,
    Role,
)

REAL_SLUG = "acme"


def rules(app, prefix: str):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefix) and rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def snapshot() -> tuple:
    db.session.expire_all()
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organization, Membership, Invitation, Project, ProjectAssignee)
    ) + (db.session.scalar(select(Organization.name)),)


@pytest.fixture
def setting(make_user, make_org, login_as):
    owner, worker, outsider = make_user("owner"), make_user("worker"), make_user("outsider")
    org = make_org(owner=owner, slug=REAL_SLUG, name="Acme", members={worker: Role.WORKER})
    project = Project(name="Secret", organization_id=org.id, created_by_id=owner.id)
    personal = Project(name="Diary", personal_owner_id=owner.id, created_by_id=owner.id)
    db.session.add_all([project, personal])
    invitation, _ = Invitation.issue(org, "x@example.com", Role.WORKER, owner, 7)
    db.session.add(invitation)
    db.session.commit()
    db.session.add(ProjectAssignee(project_id=project.id, user_id=worker.id))
    db.session.commit()
    login_as(outsider)
    return {
        "org": org,
        "worker": worker,
        "project": project,
        "personal": personal,
        "invitation": invitation,
        "owner": owner,
    }


EXTRA = {
    "name": "Pwned",
    "role": "owner",
    "email": "a@example.com",
    "confirm_slug": REAL_SLUG,
    "new_owner": "1",
    "workspace": REAL_SLUG,
    "assignees": "1",
    "is_admin": "1",
    "org_id": "1",
}


def test_every_org_route_is_404_for_an_outsider(app, client, setting):
    token = client.csrf_token("/")
    before = snapshot()
    checked = 0
    for slug in (REAL_SLUG, "no-such-org"):
        for rule, method in rules(app, "/orgs/<slug>"):
            values = {
                "slug": slug,
                "user_id": setting["worker"].id,
                "invitation_id": setting["invitation"].id,
            }
            url = rule.rule
            for key, value in values.items():
                url = url.replace(f"<{key}>", str(value)).replace(f"<int:{key}>", str(value))
            response = client.open(
                url,
                method=method,
                data={**EXTRA, "csrf_token": token} if method == "POST" else None,
            )
            assert response.status_code == 404, (method, url, response.status_code)
            assert "Acme" not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 20
    assert snapshot() == before


def test_every_project_route_is_404_for_an_outsider(app, client, setting):
    token = client.csrf_token("/")
    before = snapshot()
    ids = (setting["project"].id, setting["personal"].id, 987654)
    checked = 0
    for project_id in ids:
        for rule, method in rules(app, "/projects/<int:project_id>"):
            url = rule.rule.replace("<int:project_id>", str(project_id))
            response = client.open(
                url,
                method=method,
                data={**EXTRA, "csrf_token": token} if method == "POST" else None,
            )
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked >= 15
    assert snapshot() == before
    listing = client.get("/projects").get_data(as_text=True)
    assert "Secret" not in listing and "Diary" not in listing


def test_switching_to_the_org_is_404_and_guessing_gives_nothing(client, setting):
    assert client.submit("/workspace", {"workspace": REAL_SLUG}, page="/").status_code == 404
    assert client.get("/orgs").status_code == 200
    assert "Acme" not in client.get("/orgs").get_data(as_text=True)


def test_refusals_are_logged(client, setting, caplog, monkeypatch):
    import logging

    # Alembic's fileConfig (run by the migration fixture) disables loggers that existed before.
    monkeypatch.setattr(logging.getLogger("gatehouse.permissions"), "disabled", False)
    with caplog.at_level("WARNING", logger="gatehouse.permissions"):
        client.get(f"/orgs/{REAL_SLUG}")
    assert any("outside org=acme" in r.getMessage() for r in caplog.records)


def test_extra_fields_are_ignored(client, make_user, login_as):
    alice = make_user("alice")
    login_as(alice)
    client.submit(
        "/orgs/new",
        {"slug": "mine", "name": "Mine", "owner_id": "999", "is_admin": "1", "role": "worker"},
    )
    db.session.expire_all()
    assert db.session.scalar(select(Organization.owner_id)) == alice.id
    assert db.session.scalar(select(Membership.role)) == Role.OWNER
    assert not alice.is_admin
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "org.created")
        )
        == 1
    )
