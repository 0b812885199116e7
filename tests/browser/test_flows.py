"""Finished flows in headless Chromium: an invitation that leads a new person in, the first
sign-in of an account an administrator made, a role changed by its own control, and a new
organization whose short name is proposed as the name is typed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Role, User
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

NEW_PASSWORD = "seven quiet lanterns glowing"


def sign_in(page, base: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def sign_out(page, base: str) -> None:
    page.click(".user-menu summary")  # Sign out sits in the user menu
    page.click(".user-menu button:has-text('Sign out')")
    page.wait_for_url(f"{base}/login")


def roles(app, slug_id: int) -> dict[str, str]:
    with app.app_context():
        return {
            name: role
            for name, role in db.session.execute(
                select(User.username, Membership.role)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.organization_id == slug_id)
            )
        }


def test_invitation_sign_up_and_joined(page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        Factory(live_server.app).user("alice", display_name="Alice")

    sign_in(page, base, "alice")
    page.goto(f"{base}/orgs/new")
    page.fill("#name", "Curie Laboratory")
    page.click("button:has-text('Create the organization')")
    page.wait_for_url(f"{base}/orgs/curie-laboratory")
    page.fill("#email", "pierre@example.com")
    page.select_option("#role", "supervisor")
    page.click("button:has-text('Send the invitation')")
    link = page.get_attribute("#new-invitation-link", "href")
    path = re.search(r"https?://[^/]+(/invitations/[A-Za-z0-9_-]+)$", link).group(1)
    sign_out(page, base)

    page.goto(base + path)
    page.click("a[role=button]:has-text('Sign up')")
    page.wait_for_url(re.compile(r"/signup\?"))
    assert page.input_value("#email") == "pierre@example.com", "the invited address"
    assert page.input_value("#username") == "pierre", "proposed from it"
    assert "straight back to the invitation" in page.content()
    page.fill("#display_name", "Pierre")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    page.fill("#security_question", "What was the name of your first pet?")
    page.fill("#security_answer", "Polonium the parrot")
    page.check("#accept_terms")
    page.click("button:has-text('Create account')")
    page.wait_for_url(base + path)
    assert "Welcome, Pierre" in page.content()
    page.click("button:has-text('Accept')")
    page.wait_for_url(f"{base}/orgs/curie-laboratory")
    assert "Welcome to Curie Laboratory" in page.content()
    assert page.text_content("#current-workspace").strip() == "Curie Laboratory"
    assert "your role: Supervisor" in page.inner_text("header.page-header")


def test_admin_made_account_sets_password_and_question_at_first_sign_in(page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        Factory(live_server.app).user("root", is_admin=True)
    sign_in(page, base, "root")
    page.goto(f"{base}/admin/users/new")
    page.fill("#username", "grace")
    page.fill("#display_name", "Grace Hopper")
    page.fill("#email", "grace@example.com")
    page.fill("#password", "a handover phrase, temporary")
    assert page.is_checked("#must_change_password")
    page.click("button:has-text('Create the account')")
    page.wait_for_url(re.compile(r"/admin/users/\d+/edit$"))
    sign_out(page, base)

    sign_in(page, base, "grace", "a handover phrase, temporary")
    page.wait_for_url(f"{base}/account/password")
    assert page.inner_text("h1") == "Set up your account"
    page.goto(f"{base}/projects")
    assert page.url == f"{base}/account/password", "nothing else before"
    page.fill("#current_password", "a handover phrase, temporary")
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_confirm", NEW_PASSWORD)
    page.fill("#security_question", "Which street did you live on at the age of ten?")
    page.fill("#security_answer", "Sycamore Lane")
    page.click("button:has-text('Save and continue')")
    # the page grace asked for before the setup opens once it is done
    page.wait_for_url(f"{base}/projects")
    assert "Your password and security question are set." in page.content()
    with live_server.app.app_context():
        grace = db.session.scalar(select(User).where(User.username == "grace"))
        assert not grace.must_change_password and grace.security_answer_hash
    sign_out(page, base)

    page.goto(f"{base}/forgot")
    page.fill("#login", "grace")
    page.click("button:has-text('Continue')")
    assert "Which street did you live on" in page.inner_text(".question")


def test_role_change_by_clicking_its_control(page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        factory = Factory(live_server.app)
        alice = factory.user("alice", display_name="Alice")
        bob = factory.user("bob", display_name="Bob")
        carol = factory.user("carol", display_name="Carol")
        org = factory.org(alice, slug="acme", name="Acme", members={bob: "worker", carol: "worker"})
        org_id, bob_id = org.id, bob.id
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, base, "alice")
    page.goto(f"{base}/orgs/acme")
    row = page.locator(f"#member-{bob_id}")
    row.get_by_label("Role of Bob").select_option("maintainer")
    row.get_by_role("button", name="Change role").click()
    page.wait_for_selector("text=Bob’s role is now Maintainer.")
    assert dialogs == [], "changing a role asks nothing about removal"
    assert roles(live_server.app, org_id) == {
        "alice": Role.OWNER,
        "bob": Role.MAINTAINER,
        "carol": Role.WORKER,
    }
    # Remove is its own control, with its own question, and declining it keeps the member.
    page.locator(f"#member-{bob_id}").get_by_role("button", name="Remove").click()
    assert dialogs == ["Remove Bob from Acme? Their project assignments in it end too."]
    assert len(roles(live_server.app, org_id)) == 3


def test_new_organization_short_name_follows_the_full_name(page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        Factory(live_server.app).user("alice")
    sign_in(page, base, "alice")
    page.goto(f"{base}/orgs/new")
    page.fill("#name", "Acme Corp!")
    assert page.input_value("#slug") == "acme-corp"
    page.fill("#slug", "acme")
    page.fill("#name", "Acme Corporation")
    assert page.input_value("#slug") == "acme", "a short name typed by hand is kept"
    page.click("button:has-text('Create the organization')")
    page.wait_for_url(f"{base}/orgs/acme")
    assert page.text_content("#current-workspace").strip() == "Acme Corporation"
