"""Fixtures of the SCIM tests: an administrator's token with the scope `scim`, and requests to
/scim/v2 with it (the tokens come from tests/api/conftest.py's `make_token`)."""

from __future__ import annotations

import json

import pytest

from app import settings
from app.extensions import db
from tests.api import conftest as api_fixtures

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# The API tests' fixtures, shared: `make_token(user, *scopes)` and `api(method, path, token)`.
make_token = api_fixtures.make_token
api = api_fixtures.api


@pytest.fixture
def scim_token(admin, make_token) -> str:
    return make_token(admin, "scim")


@pytest.fixture
def scim(api, scim_token):
    """`scim(method, path, json=None, token=scim_token)`: a request to /scim/v2."""

    def call(method: str, path: str, body=None, token: str | None = "default", **kw):
        token = scim_token if token == "default" else token
        if body is not None:
            kw["data"] = json.dumps(body)
            kw.setdefault("content_type", SCIM_JSON)
        return api(method, "/scim/v2" + path, token, **kw)

    return call


@pytest.fixture
def roomy_plans(app):
    """Plan limits out of the way: the administrator may own many organizations."""
    with app.test_request_context(method="POST"):
        settings.set_many({"free_owned_orgs": 1000, "free_org_members": 10000})
        db.session.commit()


def new_user(name: str, **extra) -> dict:
    return {
        "schemas": [USER],
        "userName": name,
        "displayName": name.title(),
        "active": True,
        "emails": [{"value": f"{name}@example.com"}],
        **extra,
    }


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}
