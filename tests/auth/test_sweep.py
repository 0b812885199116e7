"""The sweep of expired session records: set-based, whatever the number of people involved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import settings
from app.auth import sessions
from app.extensions import db, utcnow
from app.models import User, UserSession
from tests.admin.conftest import Bulk


@pytest.fixture
def bulk(app):
    return Bulk()


def expire(user_ids: list[int]) -> None:
    """Two of each person's three sessions pass their absolute expiry."""
    for uid in user_ids:
        doomed = select(UserSession.id).where(UserSession.user_id == uid).limit(2)
        db.session.execute(
            update(UserSession)
            .where(UserSession.id.in_(doomed.scalar_subquery()))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    db.session.commit()


def sweep_statements(count_queries) -> int:
    settings.all_values()  # read once per request; not what is counted here
    with count_queries() as count:
        sessions.sweep()
        db.session.commit()
    return count()


def test_sweep_runs_the_same_statements_for_one_person_or_fifty(bulk, count_queries):
    one, fifty = bulk.users(1, prefix="one"), bulk.users(50, prefix="many")
    bulk.sessions(one + fifty, per_user=3)

    expire(one)
    statements_for_one = sweep_statements(count_queries)
    expire(fifty)
    statements_for_fifty = sweep_statements(count_queries)

    assert statements_for_one == statements_for_fifty
    db.session.expire_all()
    open_counts = db.session.scalars(select(User.open_sessions).where(User.id.in_(one + fifty)))
    assert set(open_counts) == {1}  # exact: 3 opened, 2 ended by the sweep
    assert sweep_statements(count_queries) == 1  # nothing left: one look, nothing written
