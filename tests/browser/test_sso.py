"""Single sign-on in headless Chromium: "Continue with SSO" on the sign-in page, through the
real OpenID Connect provider's own login and consent pages (oidc-provider under Node), back to
the app signed in, with the session listed where the person manages sessions."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from app.extensions import db
from app.models import FederatedIdentity, User
from tests.browser.conftest import serve, watch
from tests.sso.conftest import free_port, running_provider

pytestmark = pytest.mark.browser


def test_continue_with_sso_through_the_provider_pages(browser, database, tmp_path):
    provider_port = free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    path = tmp_path / "auth_config.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "sso": {
                    "enabled": True,
                    "selection_mode": "email_address",
                    "identity_providers": [
                        {
                            "id": "corp",
                            "protocol": "OIDC",
                            "name": "Corp sign-in",
                            "server_url": issuer,
                            "client_id": "gatehouse-browser",
                            "client_secret": "browser-secret",
                            "email_domain": "example.com",
                        }
                    ],
                }
            }
        )
    )
    with serve(database, {"AUTH_CONFIG_PATH": str(path)}) as server:
        client = {
            "client_id": "gatehouse-browser",
            "client_secret": "browser-secret",
            "redirect_uris": [f"{server.url}/auth/oidc/corp/login/callback"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
        with running_provider([client], provider_port):
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(15_000)
            problems = watch(page)
            page.goto(f"{server.url}/login")
            page.click("a:has-text('Continue with SSO')")
            page.fill("#email", "alice@example.com")
            page.click("button:has-text('Continue')")
            # The provider's development login page, then its consent page: not ours.
            page.wait_for_url(f"{issuer}/**")
            page.fill("input[name=login]", "alice")
            page.fill("input[name=password]", "anything")
            page.click("button[type=submit]")
            page.click("button[type=submit]")  # "Continue" on the consent page
            page.wait_for_url(f"{server.url}/")
            assert "Signed in as alice through Corp sign-in" in page.content()
            page.goto(f"{server.url}/account/sessions")
            assert "1 active session" in page.inner_text("main")
            assert "this device" in page.inner_text("main")
            ours = [p for p in problems if server.url in p or "CSP" in p]
            assert ours == [], ours
            context.close()
        with server.app.app_context():
            user = db.session.scalar(select(User).where(User.username == "alice"))
            assert user is not None and not user.password_set
            linked = db.session.scalars(select(FederatedIdentity.provider)).all()
            assert linked == ["corp"]
