"""Checks the API tests share: problem details, scope refusals, the audit log's token."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent


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
