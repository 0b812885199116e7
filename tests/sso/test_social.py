"""Social sign-in presets: Google and Amazon Cognito are OpenID Connect with discovery, so
they run against the local provider (server_url pointed at it in the YAML); GitHub is OAuth 2
with its own API."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import FederatedIdentity, User
from tests.sso.conftest import query
from tests.sso.test_oidc import sign_in, signed_in_as


def test_google_preset(client):
    sign_in(client, "/auth/social/google/login", login="gina")
    user = signed_in_as(client)
    assert user is not None and user.email == "gina@example.com"
    identity = db.session.scalar(select(FederatedIdentity))
    assert (identity.provider, identity.subject) == ("google", "gina")


def test_amazon_cognito_preset_with_client_secret_post(client):
    sign_in(client, "/auth/social/amazon-cognito/login", login="hal")
    assert signed_in_as(client).username == "hal"
    assert db.session.scalar(select(FederatedIdentity.provider)) == "amazon-cognito"


def test_github(client, fake_github):
    """GitHub cannot run here: a local stand-in serves its /login/oauth endpoints and, at
    /api/v3 as GitHub Enterprise does, the /user and /user/emails calls."""
    response = client.get("/auth/social/github/login?next=/account/identities")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"{fake_github.url}/login/oauth/authorize?")
    params = query(location)
    assert params["client_id"] == "gh-id" and "nonce" not in params
    assert params["redirect_uri"] == "http://localhost/auth/social/github/login/callback"
    fake_github.requests.clear()
    response = client.get(
        f"/auth/social/github/login/callback?code=gh-code&state={params['state']}"
    )
    assert response.status_code == 303 and response.headers["Location"] == "/account/identities"
    user = signed_in_as(client)
    assert user.email == "octocat@example.com" and user.username == "octocat"
    identity = db.session.scalar(select(FederatedIdentity))
    assert (identity.provider, identity.subject) == ("github", "4242")
    token_call = fake_github.requests[0]
    assert token_call[1] == "/login/oauth/access_token" and token_call[2]["code"] == "gh-code"
    assert token_call[3]["accept"] == "application/json"
    api_calls = [r for r in fake_github.requests if r[1].startswith("/api/v3/")]
    assert {r[3]["authorization"] for r in api_calls} == {"Bearer gho_standin"}


def test_github_without_a_primary_verified_address_is_refused(client, fake_github, monkeypatch):
    monkeypatch.setattr(
        fake_github, "emails", [{"email": "x@example.com", "primary": True, "verified": False}]
    )
    params = query(client.get("/auth/social/github/login").headers["Location"])
    response = client.get(f"/auth/social/github/login/callback?code=c&state={params['state']}")
    assert response.status_code == 403
    assert signed_in_as(client) is None
    assert db.session.scalar(select(User.id)) is None


def test_social_provider_not_configured_is_404(client):
    assert client.get("/auth/social/facebook/login").status_code == 404
