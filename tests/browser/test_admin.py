"""An administrator at work in headless Chromium: create, edit, revoke, export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.factories import Factory

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "granite orchard whistles twice"
USER_PASSWORD = "copper meadow under blue skies"


def sign_in(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/")


def test_admin_creates_edits_revokes_and_exports(page, browser, live_server):
    base = live_server.url
    with live_server.app.app_context():
        Factory(live_server.app).user(username="root", password=ADMIN_PASSWORD, is_admin=True)
    sign_in(page, base, "root", ADMIN_PASSWORD)
    page.click("nav >> text=Admin")
    page.wait_for_url(f"{base}/admin/")
    page.click(".admin-nav >> text=Users")
    page.click("text=New user")

    page.fill("#username", "grace")
    page.fill("#display_name", "Grace <Hopper>")
    page.fill("#email", "grace@example.com")
    page.fill("#password", USER_PASSWORD)
    page.uncheck("#must_change_password")
    page.click("button:has-text('Create the account')")
    page.wait_for_url(re.compile(r"/admin/users/\d+/edit$"))
    assert "Created the account grace" in page.content()
    edit_url = page.url

    page.fill("#display_name", "Grace Hopper")
    page.click("button:has-text('Save')")
    page.wait_for_url(edit_url)
    assert "Saved grace" in page.content()
    page.goto(f"{base}/admin/users?q=hopper")
    assert page.locator("tbody tr").count() == 1
    assert "Grace Hopper" in page.inner_text("tbody")

    # grace signs in elsewhere; the admin ends that session; her next request is signed out
    other = browser.new_context()
    try:
        grace = other.new_page()
        grace.goto(f"{base}/login")
        grace.fill("#login", "grace")
        grace.fill("#password", USER_PASSWORD)
        grace.click("button:has-text('Sign in')")
        # an account an admin made has no security question yet: that page comes first
        grace.wait_for_url(f"{base}/account/security-question")
        user_id = re.search(r"/admin/users/(\d+)/edit", edit_url).group(1)
        page.goto(f"{base}/admin/sessions?user={user_id}")
        assert page.locator("tbody tr").count() == 1
        page.click("tbody >> button:has-text('Revoke')")
        page.wait_for_url(f"{base}/admin/sessions?user={user_id}")
        assert "Signed out a session of grace" in page.content()
        grace.goto(f"{base}/")
        assert "/login" in grace.url
    finally:
        other.close()

    page.goto(f"{base}/admin/stats")
    assert page.locator("svg polyline").count() == 4
    with page.expect_download() as download_info:
        page.click("text=Download as TSV")
    path = download_info.value.path()
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter="\t"))
    assert rows[0][:3] == ["Date", "Sign-ups", "Sign-ins"] and len(rows) == 31
    assert int(rows[-1][2]) >= 2  # today: root and grace signed in
