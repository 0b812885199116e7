"""Helpers for the admin tests: many rows at once, without hashing a password per row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from app import passwords
from app.extensions import db, utcnow
from app.models import Membership, Organization, Project, Subscription, User, UserSession


@pytest.fixture
def admin_client(client, admin, login_as):
    login_as(admin)
    return client


@pytest.fixture
def bulk(app):
    return Bulk()


class Bulk:
    """Rows inserted in one statement each; fields a test does not care about get defaults."""

    def __init__(self) -> None:
        self._hash = None
        self._n = 0

    def users(self, count: int, prefix: str = "bulk", **fields) -> list[int]:
        self._hash = self._hash or passwords.hash_password("a long unused password here")
        now = utcnow()
        rows = []
        for _ in range(count):
            self._n += 1
            name = f"{prefix}{self._n:05d}"
            rows.append(
                {
                    "username": name,
                    "username_key": name.lower(),
                    "display_name": fields.get("display_name", name.title()),
                    "email": f"{name}@example.com",
                    "email_key": f"{name.lower()}@example.com",
                    "password_hash": self._hash,
                    "created_at": now - timedelta(minutes=self._n),
                    **fields,
                }
            )
        db.session.execute(insert(User), rows)
        db.session.commit()
        return list(
            db.session.scalars(
                select(User.id)
                .where(User.username.in_([r["username"] for r in rows]))
                .order_by(User.id)
            )
        )

    def sessions(self, user_ids: list[int], per_user: int = 1) -> None:
        now = utcnow()
        rows = [
            {
                "token_hash": f"{uid:08d}{k:04d}".ljust(64, "0"),
                "user_id": uid,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=1),
                "ip": "192.0.2.1",
                "user_agent": "bulk",
            }
            for uid in user_ids
            for k in range(per_user)
        ]
        db.session.execute(insert(UserSession), rows)
        for uid in user_ids:
            db.session.execute(
                User.__table__.update()
                .where(User.id == uid)
                .values(open_sessions=User.open_sessions + per_user)
            )
        db.session.commit()

    def org_with_projects(self, owner_id: int, member_ids: list[int], slug: str) -> int:
        org = Organization(slug=slug, name=slug.title(), owner_id=owner_id)
        db.session.add(org)
        db.session.flush()
        db.session.execute(
            insert(Membership),
            [
                {
                    "organization_id": org.id,
                    "user_id": uid,
                    "role": "owner" if uid == owner_id else "worker",
                }
                for uid in {owner_id, *member_ids}
            ],
        )
        db.session.execute(
            insert(Project),
            [
                {"name": f"p{uid}", "personal_owner_id": uid, "created_by_id": uid}
                for uid in member_ids
            ],
        )
        db.session.commit()
        return org.id

    def subscriptions(self, user_ids: list[int], plan: str = "solo", status: str = "active"):
        db.session.execute(
            insert(Subscription),
            [
                {"user_id": uid, "plan": plan, "status": status, "source": "admin"}
                for uid in user_ids
            ],
        )
        db.session.commit()
