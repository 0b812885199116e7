"""One code, two requests at once (SPEC §10: a code is accepted once): exactly one signs in,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import UserSession
from tests.auth.helpers import reload
from tests.concurrency import at_once
from tests.factors.conftest import code_at, password_step


@pytest.mark.parametrize("kind", ["code", "recovery_code"])
def test_the_same_code_twice_at_once_signs_in_once(app, with_app, kind):
    user, codes = with_app(username="ada")
    reload(user).totp_last_step = None
    db.session.commit()
    value = code_at(user) if kind == "code" else codes[0]
    calls = []
    for _ in range(2):
        browser = app.test_client()
        password_step(browser, user)
        token = browser.csrf_token("/login/verify")
        calls.append(
            lambda b=browser, t=token: b.post("/login/verify", data={kind: value, "csrf_token": t})
        )

    statuses = sorted(answer.status_code for answer in at_once(*calls))

    assert statuses == [303, 401], statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count(UserSession.id))) == 1
