"""GET /api/v1/me and the token rules every API call shares (SPEC §9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app import create_app, tokens
from app.extensions import db, utcnow
from app.models import ApiToken
from tests.api.conftest import bearer
from tests.conftest import own_limiter_keys


def test_me_names_the_account_the_scopes_and_the_token(make_user, make_token, api):
    alice = make_user(username="alice")
    token = make_token(alice, "read:orgs")
    answer = api("GET", "/api/v1/me", token)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["username"], body["scopes"], body["token_name"]) == (
        "alice",
        ["read:orgs"],
        "test token",
    )
    assert "password_hash" not in body and body["created_at"].endswith("+00:00")


def test_no_token_is_401_with_a_bearer_challenge_as_problem_details(api):
    answer = api("GET", "/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    assert answer.content_type == "application/problem+json"
    assert answer.get_json()["status"] == 401


def test_a_wrong_token_is_401_invalid_token(api):
    answer = api("GET", "/api/v1/me", "gth_" + "x" * 43)
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_a_cookie_alone_never_authenticates_the_api(make_user, login_as, client):
    login_as(make_user(username="alice"))
    assert client.get("/account").status_code == 200  # the cookie works for pages
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.content_type == "application/problem+json"


def test_a_token_never_authenticates_a_page(make_user, make_token, api):
    token = make_token(make_user(username="alice"), "read:users")
    answer = api("GET", "/account", token)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_an_expired_or_revoked_token_stops_on_the_next_request(make_user, make_token, api):
    alice = make_user(username="alice")
    token = make_token(alice, "read:users")
    assert api("GET", "/api/v1/me", token).status_code == 200
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert api("GET", "/api/v1/me", token).status_code == 401
    other = make_token(alice, "read:users")
    db.session.execute(
        update(ApiToken).where(ApiToken.expires_at > utcnow()).values(revoked_at=utcnow())
    )
    db.session.commit()
    assert api("GET", "/api/v1/me", other).status_code == 401


def test_an_unknown_path_is_problem_details_not_a_page(make_user, make_token, api):
    token = make_token(make_user(username="alice"), "read:users")
    answer = api("GET", "/api/v1/nothing-here", token)
    assert answer.status_code == 404
    assert answer.content_type == "application/problem+json"


def test_the_api_needs_no_csrf_token(make_user, make_token, api, app):
    app.config["WTF_CSRF_ENABLED"] = True
    alice = make_user(username="alice")
    token = make_token(alice, "write:users")
    answer = api("DELETE", f"/api/v1/users/{alice.id}/sessions", token)
    assert answer.status_code == 200, answer.get_json()


def test_responses_carry_the_rate_limit_of_the_token(make_user, make_token, api):
    token = make_token(make_user(username="alice"), "read:users")
    answer = api("GET", "/api/v1/me", token)
    assert answer.headers["RateLimit-Policy"] == '"per-token";q=600;w=60'
    assert answer.headers["RateLimit"].startswith('"per-token";r=599;t=')


def test_one_allowance_per_token_across_every_resource(make_user, make_token, api):
    token = make_token(make_user(username="alice"), "read:orgs")
    for path in ("/api/v1/me", "/api/v1/orgs", "/api/v1/projects"):
        remaining = api("GET", path, token).headers["RateLimit"]
    assert remaining.startswith('"per-token";r=597;t=')


def test_a_revoked_token_stops_on_every_worker_at_once(app, make_user, make_token):
    """Two apps on one database stand for two gunicorn workers: nothing about a token is
    cached in a worker, so a revocation made through one is refused by the other."""
    alice = make_user(username="alice")
    raw = make_token(alice, "read:users")
    other_worker = create_app(dict(app.config))
    own_limiter_keys(app)
    first, second = app.test_client(), other_worker.test_client()
    assert first.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    assert second.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    with app.test_request_context(method="POST"):
        token_id = db.session.query(ApiToken.id).scalar()
        tokens.revoke(alice, token_id)
        db.session.commit()
    assert second.get("/api/v1/me", headers=bearer(raw)).status_code == 401
    assert first.get("/api/v1/me", headers=bearer(raw)).status_code == 401
