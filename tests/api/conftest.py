"""Fixtures of the API and SCIM tests: tokens made by the service the token pages use."""

from __future__ import annotations

import pytest

from app import tokens
from app.extensions import db
from app.models import User


@pytest.fixture
def make_token(app):
    """`make_token(user, *scopes, service=False)`: the secret of a new token of `user` (or,
    with `service`, a service token made by the administrator `user`)."""

    def make(user: User, *scopes: str, service: bool = False, days: int = 30) -> str:
        with app.test_request_context(method="POST"):
            _, raw = tokens.issue(user, "test token", days, list(scopes), service_token=service)
            db.session.commit()
        return raw

    return make


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def api(client):
    """`api(method, path, token, **kw)`: a request to the API with `token` as bearer."""

    def call(method: str, path: str, token: str | None = None, **kw):
        headers = {**kw.pop("headers", {}), **(bearer(token) if token else {})}
        return client.open(path, method=method, headers=headers, **kw)

    return call
