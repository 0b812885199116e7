"""The account flows through the real pages in headless Chromium."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "amber kettle over the hill"
NEW_PASSWORD = "seven quiet lanterns glowing"


def sign_up(page, base: str) -> None:
    page.goto(f"{base}/signup")
    page.fill("#email", "marie.curie@example.com")
    assert page.input_value("#username") == "marie.curie", "proposed from the email"
    page.fill("#display_name", "Marie")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.fill("#security_question", "What was the name of your first pet?")
    page.fill("#security_answer", "Radium the Cat")
    page.check("#accept_terms")
    page.click("button:has-text('Create account')")
    page.wait_for_url(f"{base}/")


def sign_out(page, base: str) -> None:
    page.click(".user-menu summary")  # Sign out sits in the user menu
    page.click(".user-menu button:has-text('Sign out')")
    page.wait_for_url(f"{base}/login")
    assert "You are signed out" in page.content()


def sign_in(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", name)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def test_sign_up_out_and_in(page, live_server):
    base = live_server.url
    sign_up(page, base)
    assert "Welcome, Marie" in page.content()
    sign_out(page, base)
    sign_in(page, base, "marie.curie@example.com", PASSWORD + "x")
    assert "That sign-in did not work" in page.content()
    sign_in(page, base, "Marie.Curie", PASSWORD)
    page.wait_for_url(f"{base}/")
    assert "Signed in as marie.curie" in page.content()
    page.goto(f"{base}/account/sessions")
    assert "this device" in page.content()


def test_recovery_with_temporary_password_and_forced_change(page, live_server):
    base = live_server.url
    sign_up(page, base)
    sign_out(page, base)
    page.click("text=Forgot your password?")
    page.fill("#login", "marie.curie")
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{base}/forgot/answer")
    assert "first pet" in page.content()
    page.fill("#answer", "radium  THE cat")
    page.click("button:has-text('Check my answer')")
    temporary = page.inner_text("#temporary-password").strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", temporary)
    page.click("text=Sign in now")
    page.wait_for_url(f"{base}/login?login=marie.curie")
    assert page.input_value("#login") == "marie.curie", "the name is filled in"
    sign_in(page, base, "marie.curie", temporary)
    page.wait_for_url(re.compile(r".*/account/password$"))
    page.goto(f"{base}/account")
    assert page.url.endswith("/account/password"), "nothing else is reachable"
    page.fill("#current_password", temporary)
    page.fill("#new_password", NEW_PASSWORD)
    page.fill("#new_password_confirm", NEW_PASSWORD)
    page.click("button:has-text('Change password')")
    page.wait_for_url(f"{base}/account")  # the page asked for during the forced change
    assert "Your password has been changed" in page.content()
    sign_out(page, base)
    sign_in(page, base, "marie.curie", NEW_PASSWORD)
    page.wait_for_url(f"{base}/")
