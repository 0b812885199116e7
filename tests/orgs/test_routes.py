"""Organizations through HTTP: create, edit, page, workspace switcher, delete, transfer."""

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
    Subscription,
    UserSession,
)

ORG_FORM = {
    "slug": "Acme-Lab",
    "name": "Acme Laboratory",
    "description": "We test things.",
    "email": "lab@example.com",
    "phone": "+44 20 7946 0000",
    "location": "London",
}


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_organization_makes_the_creator_owner(client, make_user, login_as):
    alice = make_user("alice")
    login_as(alice)
    response = client.submit("/orgs/new", {**ORG_FORM, "owner_id": "999", "is_admin": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/orgs/acme-lab")
    org = db.session.scalar(select(Organization))
    assert (org.slug, org.name, org.owner_id, org.location) == (
        "acme-lab",
        "Acme Laboratory",
        alice.id,
        "London",
    )
    membership = db.session.scalar(select(Membership))
    assert (membership.user_id, membership.role) == (alice.id, Role.OWNER)
    assert count(AuditEvent, AuditEvent.action == "org.created") == 1
    page = client.get("/orgs/acme-lab").get_data(as_text=True)
    assert "Acme Laboratory" in page and "We test things." in page and "owner" in page


def test_creating_an_organization_makes_it_the_current_workspace(client, make_user, login_as):
    alice = make_user("alice")
    record = login_as(alice)
    response = client.submit("/orgs/new", ORG_FORM, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Acme Laboratory is ready and is now your current workspace." in html
    assert 'id="current-workspace">Acme Laboratory' in html
    db.session.expire_all()
    org = db.session.scalar(select(Organization))
    assert db.session.get(UserSession, record.id).workspace_org_id == org.id


def test_the_new_organization_page_proposes_the_short_name_with_our_script(
    client, make_user, login_as
):
    login_as(make_user("alice"))
    html = client.get("/orgs/new").get_data(as_text=True)
    assert '<script src="/static/js/slug.js" defer></script>' in html
    assert html.index('id="name"') < html.index('id="slug"'), "the full name comes first"


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Acme Corp!", "acme-corp"),
        ("  Équipe Zürich  ", "equipe-zurich"),
        ("Tokyo 東京 Lab", "tokyo-lab"),
        ("A" * 60, "a" * 40),
        ("x" * 39 + " y", "x" * 39),
    ],
)
def test_suggest_slug(name, slug):
    from app.orgs.forms import suggest_slug

    assert suggest_slug(name) == slug


def test_an_empty_short_name_is_made_from_the_full_name(client, make_user, login_as):
    login_as(make_user("alice"))
    response = client.submit("/orgs/new", {"slug": "", "name": "Acme Corp!"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/orgs/acme-corp")
    assert db.session.scalar(select(Organization.slug)) == "acme-corp"


@pytest.mark.parametrize(
    "name, message", [("!!", "Choose a short name."), ("Me", "3–40"), ("Admin", "reserved")]
)
def test_a_short_name_that_cannot_be_made_is_asked_for(client, make_user, login_as, name, message):
    login_as(make_user("alice"))
    response = client.submit("/orgs/new", {"slug": "", "name": name})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Organization) == 0


def test_a_taken_suggestion_is_shown_in_the_field(client, make_user, make_org, login_as):
    make_org(owner=make_user("bob"), slug="acme-corp")
    login_as(make_user("alice"))
    response = client.submit("/orgs/new", {"slug": "", "name": "Acme Corp"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "already taken" in html
    assert 'value="acme-corp"' in html, "the short name tried is in the field, to edit"
    assert count(Organization) == 1


@pytest.mark.parametrize(
    "slug, message",
    [
        ("ab", "3–40"),
        ("x" * 41, "3–40"),
        ("has space", "3–40"),
        ("-edge", "3–40"),
        ("ünï", "3–40"),
        ("new", "reserved"),
        ("admin", "reserved"),
        ("personal", "reserved"),
        ("invitations", "reserved"),
        ("a\x00b", "control characters"),
    ],
)
def test_bad_slugs_are_refused_next_to_the_field(client, make_user, login_as, slug, message):
    login_as(make_user("alice"))
    response = client.submit("/orgs/new", {**ORG_FORM, "slug": slug})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Organization) == 0


def test_slug_is_unique_whatever_the_case(client, make_user, make_org, login_as):
    make_org(owner=make_user("bob"), slug="acme-lab")
    login_as(make_user("alice"))
    response = client.submit("/orgs/new", {**ORG_FORM, "slug": "ACME-LAB"})
    assert response.status_code == 422
    assert "already taken" in response.get_data(as_text=True)
    assert count(Organization) == 1


def test_script_in_names_is_escaped(client, make_user, login_as):
    login_as(make_user("alice"))
    client.submit("/orgs/new", {**ORG_FORM, "name": "<script>alert(1)</script>"})
    page = client.get("/orgs/acme-lab").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_edit_changes_details_but_not_slug_or_owner(client, make_user, make_org, login_as):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme")
    login_as(alice)
    response = client.submit(
        "/orgs/acme/edit",
        {"name": "Acme Two", "slug": "other", "owner_id": "42", "location": "Paris"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (org.name, org.slug, org.owner_id, org.location) == (
        "Acme Two",
        "acme",
        alice.id,
        "Paris",
    )


def test_edit_with_bad_input_rerenders_with_422(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    response = client.submit("/orgs/acme/edit", {"name": "", "email": "not-an-email"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(Organization.name)) == "Acme"


def test_org_list_shows_mine_only(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    make_org(owner=alice, slug="alices-org")
    make_org(owner=bob, slug="bobs-org")
    login_as(alice)
    page = client.get("/orgs").get_data(as_text=True)
    assert "alices-org" in page and "bobs-org" not in page


def test_workspace_switch_is_kept_on_the_session_record(client, make_user, make_org, login_as):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme", name="Acme Lab")
    record = login_as(alice)
    assert 'id="current-workspace">Personal' in client.get("/").get_data(as_text=True)
    response = client.submit("/workspace", {"workspace": "acme"}, page="/")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).workspace_org_id == org.id
    page = client.get("/orgs").get_data(as_text=True)
    assert 'id="current-workspace">Acme Lab' in page
    client.submit("/workspace", {"workspace": "personal"}, page="/")
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).workspace_org_id is None


def test_switching_to_a_foreign_or_unknown_org_is_404(client, make_user, make_org, login_as):
    make_org(owner=make_user("bob"), slug="bobs")
    record = login_as(make_user("alice"))
    for value in ("bobs", "nope"):
        assert client.submit("/workspace", {"workspace": value}, page="/").status_code == 404
    db.session.expire_all()
    assert db.session.get(UserSession, record.id).workspace_org_id is None


def test_delete_needs_the_slug_and_takes_everything_with_it(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    project = Project(name="P", organization_id=org.id, created_by_id=alice.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectAssignee(project_id=project.id, user_id=bob.id))
    db.session.add(Invitation.issue(org, "carol@example.com", Role.WORKER, alice, 7)[0])
    db.session.commit()
    record = login_as(alice)
    client.submit("/workspace", {"workspace": "acme"}, page="/")

    response = client.submit("/orgs/acme/delete", {"confirm_slug": "acm"}, page="/orgs/acme")
    assert response.status_code == 303
    assert count(Organization) == 1
    response = client.submit("/orgs/acme/delete", {"confirm_slug": "acme"}, page="/orgs/acme")
    assert response.status_code == 303
    for model in (Organization, Membership, Invitation, Project, ProjectAssignee):
        assert count(model) == 0, model
    assert db.session.get(UserSession, record.id).workspace_org_id is None
    assert count(AuditEvent, AuditEvent.action == "org.deleted") == 1
    assert client.get("/").status_code == 200


def test_delete_refused_while_stripe_still_bills_the_organization(
    client, make_user, make_org, login_as
):
    alice = make_user("alice")
    org = make_org(owner=alice, slug="acme")
    db.session.add(
        Subscription(
            organization_id=org.id,
            plan="team",
            status="past_due",
            seats=3,
            source="stripe",
            stripe_subscription_id="sub_live",
        )
    )
    db.session.commit()
    login_as(alice)
    response = client.submit(
        "/orgs/acme/delete", {"confirm_slug": "acme"}, page="/orgs/acme", follow_redirects=True
    )
    assert "has a Stripe subscription (past_due)" in response.get_data(as_text=True)
    assert count(Organization) == 1

    db.session.get(Subscription, 1).status = "canceled"
    db.session.commit()
    client.submit("/orgs/acme/delete", {"confirm_slug": "acme"}, page="/orgs/acme")
    assert count(Organization) == 0


def test_transfer_makes_the_old_owner_a_maintainer(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.MAINTAINER})
    login_as(alice)
    wrong = client.submit("/orgs/acme/transfer", {"new_owner": bob.id, "confirm_slug": "x"})
    assert wrong.status_code == 303
    db.session.expire_all()
    assert org.owner_id == alice.id
    response = client.submit("/orgs/acme/transfer", {"new_owner": bob.id, "confirm_slug": "acme"})
    assert response.status_code == 303
    db.session.expire_all()
    roles = dict(db.session.execute(select(Membership.user_id, Membership.role)).all())
    assert org.owner_id == bob.id
    assert roles == {alice.id: Role.MAINTAINER, bob.id: Role.OWNER}


def test_transfer_only_to_a_maintainer(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.SUPERVISOR})
    login_as(alice)
    response = client.submit(
        "/orgs/acme/transfer", {"new_owner": bob.id, "confirm_slug": "acme"}, follow_redirects=True
    )
    assert "only go to a maintainer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert org.owner_id == alice.id


def test_leaving_drops_assignments_and_workspace(client, make_user, make_org, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", members={bob: Role.WORKER})
    project = Project(name="P", organization_id=org.id, created_by_id=alice.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(ProjectAssignee(project_id=project.id, user_id=bob.id))
    db.session.commit()
    record = login_as(bob)
    client.submit("/workspace", {"workspace": "acme"}, page="/")
    response = client.submit("/orgs/acme/leave", page="/orgs/acme")
    assert response.status_code == 303
    assert count(Membership, Membership.user_id == bob.id) == 0
    assert count(ProjectAssignee) == 0
    assert db.session.get(UserSession, record.id).workspace_org_id is None
    assert client.get("/orgs/acme").status_code == 404


def test_the_owner_cannot_leave(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    response = client.submit("/orgs/acme/leave", page="/orgs/acme")
    assert response.status_code == 403
    assert "Transfer ownership" in response.get_data(as_text=True)
    assert count(Membership) == 1


def test_admin_may_view_any_org_but_not_act(client, admin, make_user, make_org, login_as):
    make_org(owner=make_user("bob"), slug="bobs", name="Bob's Org")
    login_as(admin)
    page = client.get("/orgs/bobs")
    assert page.status_code == 200 and "Bob&#39;s Org" in page.get_data(as_text=True)
    assert client.submit("/orgs/bobs/edit", {"name": "Mine"}, page="/orgs/bobs").status_code == 403
    listing = client.get("/admin/orgs").get_data(as_text=True)
    assert "bobs" in listing and "bob" in listing and "Free" in listing
