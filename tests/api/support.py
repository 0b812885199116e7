"""Checks the API tests share: problem details, scope refusals, the audit log's token."""

from __future__ import annotations

from sqlalchemy import insert, select

from app.extensions import db
from app.models import AuditEvent, User


def problem(answer, status: int) -> dict:
    """The problem details of an error answer, after checking its status and media type."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.content_type == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == status
    return body


def refused_for_scope(answer, scope: str) -> None:
    problem(answer, 403)
    challenge = answer.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and f'scope="{scope}"' in challenge


def audit_details(action: str) -> list[str | None]:
    """The details of the audit events of `action`, oldest first."""
    db.session.expire_all()
    query = select(AuditEvent.detail).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def by_token(action: str) -> bool:
    """Whether an `action` event names the token the tests make ("test token")."""
    return any(d and d.endswith("token: test token") for d in audit_details(action))


def accounts(*names: str) -> list[User]:
    """Accounts of these names in one statement, faster than the factory's: nobody signs in
    as them, so no password is hashed."""
    rows = [
        {
            "username": name,
            "username_key": name.lower(),
            "display_name": name.title(),
            "email": f"{name.lower()}@example.com",
            "email_key": f"{name.lower()}@example.com",
            "password_hash": "unused",
        }
        for name in names
    ]
    db.session.execute(insert(User), rows)
    db.session.commit()
    found = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))
    }
    return [found[name] for name in names]


def crowd(count: int, prefix: str) -> list[User]:
    return accounts(*(f"{prefix}{n:03d}" for n in range(count)))
