"""Rows made directly through the models, for tests that are not about making them."""

from __future__ import annotations

from itertools import count

from flask import Flask

from app import passwords
from app.auth import sessions
from app.extensions import db
from app.models import Membership, Organization, Role, User, UserSession

PASSWORD = "correct horse battery staple"
ANSWER = "Rex the Wonder Dog"
QUESTION = "What was the name of your first pet?"


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._numbers = count(1)

    def user(self, username: str | None = None, password: str = PASSWORD, **fields) -> User:
        n = next(self._numbers)
        username = username or f"user{n}"
        fields.setdefault("email", f"{username.lower()}@example.com")
        fields.setdefault("display_name", username.title())
        fields.setdefault("security_question", QUESTION)
        answer = fields.pop("answer", ANSWER)
        user = User(
            username=username,
            password_hash=passwords.hash_password(password),
            security_answer_hash=passwords.hash_answer(answer),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    def session_for(self, user: User, remember: bool = False) -> tuple[UserSession, str]:
        with self.app.test_request_context():
            record, token = sessions.start(
                user, remember=remember, ip="127.0.0.1", user_agent="pytest"
            )
            db.session.commit()
        return record, token

    def sign_in(self, client, user: User, remember: bool = False) -> UserSession:
        record, token = self.session_for(user, remember)
        with client.session_transaction() as flask_session:
            flask_session.clear()
            flask_session["sid"] = token
            flask_session["_user_id"] = str(user.id)
            flask_session["_fresh"] = True
        return record

    def org(
        self, owner: User, slug: str | None = None, members: dict | None = None, **fields
    ) -> Organization:
        """An organization owned by `owner`, with `members` = {user: role} besides."""
        slug = slug or f"org-{next(self._numbers)}"
        fields.setdefault("name", slug.replace("-", " ").title())
        org = Organization(slug=slug, owner_id=owner.id, **fields)
        db.session.add(org)
        db.session.flush()
        db.session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
        for user, role in (members or {}).items():
            db.session.add(Membership(organization_id=org.id, user_id=user.id, role=Role(role)))
        db.session.commit()
        return org
