"""Passkeys end to end in headless Chromium (SPEC §10), with the DevTools protocol's virtual
authenticator (WebAuthn.addVirtualAuthenticator: CTAP2, internal, resident keys, user
verification). WebAuthn refuses an IP address as relying-party id, so the app is opened as
http://localhost:<port> with BASE_URL set to it (rpId `localhost`).

One server and one browser context serve the whole file, in order: register, password then
passkey, the passkey alone, an authenticator that does not verify the user, removal.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth import factors
from app.extensions import db
from app.models import AuditEvent, User
from tests.browser.conftest import serve, watch
from tests.browser.test_pages import _axe
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


class Run:
    """The server, the page, the DevTools session and the virtual authenticator's id."""

    def __init__(self, server, page, cdp, authenticator: str, problems: list[str]) -> None:
        self.server, self.page, self.cdp = server, page, cdp
        self.authenticator, self.problems = authenticator, problems
        self.url = server.url.replace("127.0.0.1", "localhost")

    def go(self, path: str) -> None:
        self.page.goto(self.url + path)

    def sign_out(self) -> None:
        self.page.context.clear_cookies()

    def user_verified(self, yes: bool) -> None:
        self.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": self.authenticator, "isUserVerified": yes},
        )

    def passkeys(self) -> list[tuple[str, bool]]:
        """Alice's passkeys: each one's name and whether it was used."""
        with self.server.app.app_context():
            alice = db.session.scalar(select(User).where(User.username == "alice"))
            return [(p.name, p.last_used_at is not None) for p in factors.passkeys_of(alice)]

    def credentials(self) -> list[dict]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        return found["credentials"]


@pytest.fixture(scope="module")
def run(browser, database):
    with serve(database) as server:
        port = server.url.rsplit(":", 1)[1]
        server.app.config.update(BASE_URL=f"http://localhost:{port}", BASE_URL_SET=True)
        with server.app.app_context():
            Factory(server.app).user("alice")
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems = watch(page)
        page.on("dialog", lambda dialog: dialog.accept())  # "Remove the passkey …?"
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        yield Run(server, page, cdp, added["authenticatorId"], problems)
        context.close()
        ours = [p for p in problems if "localhost" in p or "CSP" in p]
        assert ours == [], ours


def sign_in_with_password(run: Run) -> None:
    run.go("/login")
    run.page.fill("#login", "alice")
    run.page.fill("#password", PASSWORD)
    run.page.click("form button[type=submit]:has-text('Sign in')")


def test_register_a_passkey(run):
    sign_in_with_password(run)
    run.page.wait_for_url(run.url + "/")
    run.go("/account/security")
    run.page.fill("#passkey-new-name", "Laptop")
    run.page.click("button:has-text('Add a passkey')")
    run.page.wait_for_selector("text=Passkey “Laptop” added")
    assert "Save these codes now" in run.page.inner_text("main")
    assert run.page.locator(".recovery-codes li").count() == 10
    run.go("/account/security")
    run.page.click("summary:has-text('Rename or remove')")
    assert _axe(run.page) == [], "the passkey table and its forms, open, as axe reads them"
    assert run.passkeys() == [("Laptop", False)]
    stored = run.credentials()
    assert (
        len(stored) == 1 and stored[0]["isResidentCredential"] and stored[0]["rpId"] == "localhost"
    )


def test_password_then_passkey(run):
    run.sign_out()
    sign_in_with_password(run)
    run.page.wait_for_url(run.url + "/login/verify")
    run.page.click("button:has-text('Use a passkey')")
    run.page.wait_for_url(run.url + "/")
    assert "Signed in as alice" in run.page.inner_text("main")
    assert run.passkeys() == [("Laptop", True)]


def test_the_passkey_alone_signs_in(run):
    run.sign_out()
    run.go("/login?next=/account/security")
    run.page.click("button:has-text('Sign in with a passkey')")
    run.page.wait_for_url(run.url + "/account/security")
    assert "Signed in as alice" in run.page.inner_text("main")


def _discouraged(route) -> None:
    """The options as a tampered page would ask: no user verification."""
    options = route.fetch().json()
    options["userVerification"] = "discouraged"
    route.fulfill(json=options)


def test_an_authenticator_that_does_not_verify_the_user_is_refused(run):
    run.sign_out()
    run.user_verified(False)
    try:
        # Asked for user verification, Chromium refuses by itself; the page says so.
        run.go("/login")
        run.page.click("button:has-text('Sign in with a passkey')")
        alert = run.page.locator("[role=alert]:has-text('The passkey was not used')")
        alert.wait_for()
        # A page that does not ask gets an answer without it: the server refuses that.
        run.page.route("**/login/passkey/options", _discouraged)
        run.page.click("button:has-text('Sign in with a passkey')")
        run.page.wait_for_selector("text=That passkey could not be verified")
        run.page.unroute("**/login/passkey/options")
        run.go("/account/security")
        assert run.page.url.startswith(run.url + "/login"), "still signed out"
        with run.server.app.app_context():
            refusal = db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "login.failed")
            ).all()
        assert len(refusal) == 1 and "User verification is required" in refusal[0]
    finally:
        run.user_verified(True)


def test_remove_the_passkey(run):
    run.go("/login")
    run.page.click("button:has-text('Sign in with a passkey')")
    run.page.wait_for_url(run.url + "/")
    run.go("/account/security")
    run.page.click("summary:has-text('Rename or remove')")
    run.page.fill("input[name=password]", PASSWORD)
    run.page.click("button:has-text('Remove Laptop')")
    run.page.wait_for_selector("text=The passkey is removed")
    assert "You have no passkey yet" in run.page.inner_text("main")
    assert run.passkeys() == []
    run.sign_out()
    sign_in_with_password(run)
    run.page.wait_for_url(run.url + "/"), "no second step: no factor left"
