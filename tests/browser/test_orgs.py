"""An organization end to end in headless Chromium: create, invite, accept, switch, assign."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser


def sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


def sign_out(page, base: str) -> None:
    page.click(".user-menu summary")  # Sign out sits in the user menu
    page.click(".user-menu button:has-text('Sign out')")
    page.wait_for_url(f"{base}/login")


def switch_to(page, name: str) -> None:
    """One choice in the workspace menu switches."""
    page.click(".workspace-switcher summary")
    page.click(f".workspace-switcher button:has-text('{name}')")
    page.wait_for_selector(f"#current-workspace:has-text('{name}')")


def new_project(page, base: str, name: str) -> None:
    page.goto(f"{base}/projects/new")
    page.fill("#name", name)
    page.click("button:has-text('Create the project')")
    page.wait_for_selector(f"h1:has-text('{name}')")


def test_invite_accept_switch_and_assign(page, live_server):
    base = live_server.url
    with live_server.app.app_context():
        factory = Factory(live_server.app)
        factory.user("alice", display_name="Alice")
        factory.user("bob", display_name="Bob", email="bob@example.com")

    sign_in(page, base, "alice")
    page.click("nav >> text=Organizations")
    page.click("text=New organization")
    page.fill("#slug", "curie-lab")
    page.fill("#name", "Curie Laboratory")
    page.click("button:has-text('Create the organization')")
    page.wait_for_url(f"{base}/orgs/curie-lab")

    page.fill("#email", "bob@example.com")
    page.select_option("#role", "worker")
    page.click("button:has-text('Send the invitation')")
    link = page.get_attribute("#new-invitation-link", "href")
    path = re.search(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+)", link).group(1)
    sign_out(page, base)

    sign_in(page, base, "bob")
    page.goto(base + path)
    page.click("button:has-text('Accept')")
    page.wait_for_url(f"{base}/orgs/curie-lab")
    assert "Welcome to Curie Laboratory" in page.content()
    assert page.text_content("#current-workspace").strip() == "Curie Laboratory"
    sign_out(page, base)

    sign_in(page, base, "alice")
    switch_to(page, "Curie Laboratory")
    new_project(page, base, "Spectra")
    page.select_option("#assignees", label="Bob (bob)")
    page.click("button:has-text('Save assignees')")
    assert "Assignees: Bob" in page.content()
    new_project(page, base, "Budget")
    sign_out(page, base)

    sign_in(page, base, "bob")
    switch_to(page, "Curie Laboratory")
    page.click("nav >> text=Projects")
    table = page.text_content("table.projects")
    assert "Spectra" in table and "Budget" not in table
    assert "New project" not in page.content()
