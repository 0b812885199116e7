"""Small helpers for the account tests: form data and reading state back."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, User

GOOD_PASSWORD = "violet tractor pebble anthem"


def signup_data(**changes) -> dict:
    data = {
        "email": "ada@example.com",
        "username": "ada",
        "display_name": "Ada",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
        "security_question": "What was the name of your first pet?",
        "security_answer": "Tiddles the cat",
        "accept_terms": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def user_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(User.id)))


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def actions(action: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def login(client, name: str, password: str, **extra):
    return client.submit("/login", {"login": name, "password": password, **extra})
