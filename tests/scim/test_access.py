"""Who may use /scim/v2: an administrator's token with the scope `scim`, nobody else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import tokens
from app.errors import DomainError
from app.extensions import db
from app.models import AuditEvent
from tests.scim.conftest import SCIM_ERROR, new_user

ERROR_TYPE = "application/scim+json"


def test_no_token_is_a_401_with_a_challenge_in_scim_json(scim):
    response = scim("GET", "/Users", token=None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    assert response.mimetype == ERROR_TYPE
    assert response.json["schemas"] == [SCIM_ERROR]
    assert response.json["status"] == "401"


def test_an_unknown_token_is_a_401(scim):
    response = scim("GET", "/Users", token="gth_not-a-token")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("scopes", [("read:users", "write:users"), ("admin",)])
def test_a_token_without_the_scope_scim_is_a_403(scim, admin, make_token, scopes):
    response = scim("GET", "/Users", token=make_token(admin, *scopes))

    assert response.status_code == 403
    assert 'error="insufficient_scope", scope="scim"' in response.headers["WWW-Authenticate"]
    assert response.json["schemas"] == [SCIM_ERROR]


def test_a_person_who_is_not_an_administrator_cannot_hold_the_scope(app, make_user):
    alice = make_user("alice")

    with app.test_request_context(method="POST"), pytest.raises(DomainError):
        tokens.issue(alice, "provisioning", 30, ["scim"])


def test_a_scim_token_stops_working_when_its_administrator_is_demoted(scim, admin, make_user):
    make_user("other_admin", is_admin=True)
    admin.is_admin = False
    db.session.commit()

    response = scim("GET", "/Users")

    assert response.status_code == 403
    assert "administrators" in response.json["detail"]


def test_the_service_provider_config_needs_no_token_the_rest_does(scim):
    assert scim("GET", "/ServiceProviderConfig", token=None).status_code == 200
    for path in ("/Schemas", "/ResourceTypes", "/Users", "/Groups"):
        assert scim("GET", path, token=None).status_code == 401, path


def test_a_service_token_acts_as_the_administrator_who_made_it(scim, admin, make_token):
    token = make_token(admin, "scim", service=True)

    response = scim("POST", "/Users", new_user("alice"), token=token)

    assert response.status_code == 201, response.json
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.user_created"))
    assert event.actor_id == admin.id
    assert "token: test token" in (event.detail or "")


def test_an_unknown_path_is_a_scim_404(scim):
    response = scim("GET", "/Pets")

    assert response.status_code == 404
    assert response.mimetype == ERROR_TYPE
    assert response.json["schemas"] == [SCIM_ERROR]


def test_a_discovery_endpoint_refuses_writes_with_405(scim):
    response = scim("DELETE", "/Schemas")

    assert response.status_code == 405
    assert response.json["schemas"] == [SCIM_ERROR]


def test_no_csrf_token_is_asked_and_no_cookie_is_read(app, scim, admin, login_as):
    login_as(admin)  # a signed-in browser is not a SCIM client
    assert scim("GET", "/Users", token=None).status_code == 401
    assert scim("POST", "/Users", new_user("bob")).status_code == 201


def test_requests_are_limited_per_token_with_a_scim_429(app, scim, admin, make_token):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    other = make_token(admin, "scim")

    statuses = [scim("GET", "/Users").status_code for _ in range(3)]
    refused = scim("GET", "/Users")

    assert statuses == [200, 200, 429]
    assert refused.json["schemas"] == [SCIM_ERROR]
    assert refused.headers["RateLimit-Policy"].startswith('"per-token";q=2')
    assert scim("GET", "/Users", token=other).status_code == 200  # its own count
