"""The ID token's checks: signature, audience, issuer, expiry, nonce, the userinfo subject.

A real provider never issues a token with a wrong nonce or for another audience, so these use
a stand-in provider (tests/sso/standins.py): its discovery, JWKS and userinfo are ordinary, and
its token endpoint answers whatever ID token the test signed: with the key it publishes, but
with a wrong claim, or with a key that is not in its JWKS.
"""

from __future__ import annotations

import time

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, FederatedIdentity, UserSession
from app.sso import oidc_client
from tests.sso.conftest import query


def authorize(client) -> dict[str, str]:
    response = client.get("/auth/oidc/standin/login")
    assert response.status_code == 302
    return query(response.headers["Location"])


def callback(client, params: dict[str, str]):
    state = params["state"]
    return client.get(f"/auth/oidc/standin/login/callback?code=c-1&state={state}")


def refused(client, response, kind: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "That sign-in did not work" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count(UserSession.id))) == 0
    assert db.session.scalar(select(func.count(FederatedIdentity.id))) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.failed"))
    assert event is not None and event.detail.startswith(f"{kind}:"), event and event.detail


def test_a_good_token_from_the_stand_in_signs_in(client, fake_oidc):
    """The control: the stand-in is right, so each refusal below is its one tampering."""
    params = authorize(client)
    fake_oidc.claims = fake_oidc.good_claims(params["nonce"])
    response = callback(client, params)
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(FederatedIdentity.subject)) == "standin-person"


@pytest.mark.parametrize(
    "change, kind",
    [
        ({"nonce": "another-nonce"}, "nonce"),
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["standin-client", "another-client"]}, "audience"),  # no azp naming us
        ({"iss": "http://127.0.0.1:9/"}, "issuer"),
        # Times as seconds from when the test runs, not from collection: a long suite runs
        # this minutes after it was collected, and "600 s ahead" had become the past.
        ({"exp": -120}, "expired"),
        ({"iat": +600}, "id token"),
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(client, fake_oidc, change, kind):
    params = authorize(client)
    now = int(time.time())
    change = {k: now + v if k in ("exp", "iat") else v for k, v in change.items()}
    fake_oidc.claims = {**fake_oidc.good_claims(params["nonce"]), **change}
    refused(client, callback(client, params), kind)


def test_an_expiry_within_the_leeway_is_accepted(client, fake_oidc):
    params = authorize(client)
    fake_oidc.claims = {**fake_oidc.good_claims(params["nonce"]), "exp": int(time.time()) - 30}
    assert callback(client, params).status_code == 303


@pytest.mark.parametrize("kid", ["good", "unknown"])
def test_a_token_signed_with_a_key_not_in_the_jwks_is_refused(client, fake_oidc, kid):
    params = authorize(client)
    fake_oidc.claims = fake_oidc.good_claims(params["nonce"])
    fake_oidc.signer = RSAKey.generate_key(2048, parameters={"kid": kid})
    refused(client, callback(client, params), "signature")


def test_userinfo_about_someone_else_is_refused(client, fake_oidc):
    params = authorize(client)
    fake_oidc.claims = fake_oidc.good_claims(params["nonce"])
    fake_oidc.userinfo = {**fake_oidc.userinfo, "sub": "someone-else"}
    refused(client, callback(client, params), "userinfo")


def test_a_token_endpoint_error_is_refused(client, fake_oidc):
    params = authorize(client)
    fake_oidc.routes[("POST", "/token")], saved = (
        lambda p, h: (400, {"error": "invalid_grant"}),
        fake_oidc.routes[("POST", "/token")],
    )
    try:
        refused(client, callback(client, params), "token")
    finally:
        fake_oidc.routes[("POST", "/token")] = saved


def test_the_provider_unreachable_is_a_clear_page(client, monkeypatch):
    def down(*args, **kwargs):
        raise requests.ConnectionError("connection refused")

    monkeypatch.setattr(oidc_client.requests, "get", down)
    response = client.get("/auth/oidc/standin/login")
    assert response.status_code == 400
    assert "could not be reached" in response.get_data(as_text=True)
