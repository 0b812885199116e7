"""Rows the system tests need, written straight into the database under test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text

from app import create_app, passwords, settings
from app.extensions import db
from app.models import Membership, Organization, Role, User, UserSession

PASSWORD = "system test password 42"


@contextmanager
def connected(url: str) -> Iterator[None]:
    """An app context on `url` whose connection is closed at the end: the session first (it
    holds the connection it used), then the pool. Disposing the pool alone left that connection
    open until garbage collection, and a check with a few hundred queries exhausted the server's
    200 connections."""
    app = make_app(url)
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


def make_app(url: str):
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "system-test-secret-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "TESTING": True,
        }
    )


def create_users(
    url: str, prefix: str, count: int, *, admin: bool = False, password: str = PASSWORD
) -> list[str]:
    """`count` accounts named prefix0, prefix1… sharing one password (hashed once)."""
    with connected(url):
        hashed = passwords.hash_password(password)
        # A recovery question, as sign-up gives every account: without one a person is sent
        # to choose it before any other page (app/auth/setup.py).
        answer = passwords.hash_answer("a system test goldfish")
        names = [f"{prefix}{i}" for i in range(count)]
        for name in names:
            db.session.add(
                User(
                    username=name,
                    display_name=name.title(),
                    email=f"{name}@example.com",
                    password_hash=hashed,
                    security_question="What was the name of your first pet?",
                    security_answer_hash=answer,
                    is_admin=admin,
                )
            )
        db.session.commit()
    return names


def create_org(url: str, owner: str, slug: str) -> None:
    with connected(url):
        user = db.session.scalar(select(User).where(User.username == owner))
        org = Organization(slug=slug, name=slug.title(), owner_id=user.id)
        db.session.add(org)
        db.session.flush()
        db.session.add(Membership(organization_id=org.id, user_id=user.id, role=Role.OWNER))
        db.session.commit()


def set_settings(url: str, **values) -> None:
    with connected(url):
        settings.set_many(values)  # renews the revision: running workers read them again
        db.session.commit()


def query(url: str, sql: str, **params) -> list[tuple]:
    with connected(url):
        rows = [tuple(r) for r in db.session.execute(text(sql), params)]
    return rows


def open_session_mismatches(url: str) -> list[tuple]:
    """Users whose `open_sessions` counter disagrees with their live session rows: a write that
    was only half done (the counter and the rows are changed in one transaction)."""
    with connected(url):
        live = (
            select(UserSession.user_id, func.count().label("n"))
            .where(UserSession.ended_at.is_(None))
            .group_by(UserSession.user_id)
            .subquery()
        )
        rows = db.session.execute(
            select(User.username, User.open_sessions, func.coalesce(live.c.n, 0))
            .outerjoin(live, live.c.user_id == User.id)
            .where(User.open_sessions != func.coalesce(live.c.n, 0))
        ).all()
    return [tuple(r) for r in rows]


def route_rules(url: str) -> dict[str, tuple[str, set[str]]]:
    """endpoint -> (rule, methods) of the app as it is now (other engineers add routes)."""
    app = make_app(url)
    return {r.endpoint: (r.rule, set(r.methods or ())) for r in app.url_map.iter_rules()}
