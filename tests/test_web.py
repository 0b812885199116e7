"""app/web.py and app/integrity.py: refusals become outcomes, unknown failures do not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError

from app import integrity, web
from app.errors import DomainError, NotFound
from app.extensions import db, utcnow
from app.models import Membership, Organization, Role, User, UserSession


def integrity_error(*rows) -> IntegrityError:
    db.session.add_all(rows)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    return caught.value


def test_every_known_constraint_is_one_of_the_models():
    names = {
        c.name
        for table in db.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    }
    assert set(integrity.UNIQUE) <= names


@pytest.mark.parametrize(
    ("clash", "constraint", "field"),
    [
        ({"username": "ADA", "email": "other@example.com"}, "uq_users_username_key", "username"),
        ({"username": "other", "email": "Ada@Example.com"}, "uq_users_email_key", "email"),
    ],
)
def test_a_taken_user_name_is_recognised(make_user, clash, constraint, field):
    make_user(username="ada", email="ada@example.com")
    exc = integrity_error(User(display_name="X", password_hash="x", **clash))
    assert integrity.constraint_name(exc) == constraint
    refusal = integrity.refusal_for(exc)
    assert isinstance(refusal, integrity.Taken) and refusal.field == field


def test_a_taken_slug_and_a_second_membership_are_recognised(make_user, make_org):
    owner = make_user("owner")
    org = make_org(owner, slug="acme")
    exc = integrity_error(Organization(slug="acme", name="Again", owner_id=owner.id))
    assert integrity.refusal_for(exc).field == "slug"
    again = Membership(organization_id=org.id, user_id=owner.id, role=Role.WORKER)
    assert integrity.constraint_name(integrity_error(again)) == "uq_memberships_organization_id"


def test_other_integrity_errors_are_not_refusals(make_user):
    user = make_user("someone")
    now = utcnow()

    def session_row() -> UserSession:
        return UserSession(
            token_hash="f" * 64,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=1),
        )

    db.session.add(session_row())
    db.session.commit()
    duplicate_token = integrity_error(session_row())
    assert integrity.constraint_name(duplicate_token) == "uq_user_sessions_token_hash"
    assert integrity.refusal_for(duplicate_token) is None
    missing_org = integrity_error(Membership(organization_id=999, user_id=user.id, role="worker"))
    assert integrity.refusal_for(missing_org) is None


def test_attempt_commits_or_rolls_back_and_lets_unknown_errors_through(make_user):
    user = make_user("writer")

    def rename(name: str) -> str:
        user.display_name = name
        return name

    def rename_then_refuse() -> None:
        user.display_name = "Never"
        raise DomainError("No.", field="display_name")

    assert web.attempt(rename, "Written").value == "Written"
    refused = web.attempt(rename_then_refuse)
    assert (refused.ok, refused.status, refused.message) == (False, 422, "No.")
    assert refused.error is not None and refused.error.field == "display_name"
    db.session.expire_all()
    assert db.session.get(User, user.id).display_name == "Written"

    def clash() -> None:
        db.session.add(User(username="WRITER", display_name="W", password_hash="x"))

    assert web.attempt(clash).error.field == "username"

    def unknown() -> None:
        db.session.add(Membership(organization_id=999, user_id=user.id, role="worker"))

    with pytest.raises(IntegrityError):
        web.attempt(unknown)

    def gone() -> None:
        raise NotFound("Not found.")

    with pytest.raises(NotFound):
        web.attempt(gone)
    assert db.session.get(User, user.id).display_name == "Written", "the session still works"
