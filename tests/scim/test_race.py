"""Simultaneous SCIM requests, as an identity provider's parallel workers send them: the database
decides, on SQLite (one writer at a time) and on PostgreSQL (row locks, unique indexes)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, User
from tests.concurrency import at_once
from tests.scim.conftest import SCIM_JSON, new_user, patch


def _send(app, token: str, method: str, path: str, body: dict):
    def call():
        response = app.test_client().open(
            "/scim/v2" + path,
            method=method,
            data=json.dumps(body),
            content_type=SCIM_JSON,
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.get_json(silent=True)

    return call


def test_two_creations_of_one_username_make_one_account(app, scim_token):
    results = at_once(
        _send(app, scim_token, "POST", "/Users", new_user("alice")),
        _send(app, scim_token, "POST", "/Users", new_user("Alice") | {"emails": []}),
    )

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409], results
    refusal = next(body for status, body in results if status == 409)
    assert refusal["scimType"] == "uniqueness"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(User.username_key == "alice")) == 1


def test_two_deactivations_of_one_account_disable_it_once(app, scim_token, make_user):
    alice = make_user("alice")
    off = patch({"op": "replace", "path": "active", "value": False})

    results = at_once(
        _send(app, scim_token, "PATCH", f"/Users/{alice.id}", off),
        _send(app, scim_token, "PATCH", f"/Users/{alice.id}", off),
    )

    assert [status for status, _ in results] == [204, 204], results
    disabled = select(func.count()).where(AuditEvent.action == "admin.user_disabled")
    assert db.session.scalar(disabled) == 1
