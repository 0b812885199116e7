"""A federated sign-in and the person's second factor (SPEC §10): it counts as verified only
when the provider says it checked one (OIDC `amr`); otherwise ours is asked for."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from app.auth import factors
from app.extensions import db
from app.models import User, UserSession
from tests.sso_rules.test_accounts import arrive, said


def account_with_app(app, client) -> None:
    assert arrive(app, client, "corp", said()).status_code == 303
    client.submit("/logout", page="/")
    user = db.session.scalar(select(User).where(User.email_key == "ann@corp.example"))
    with app.test_request_context(method="POST"):
        factors.begin_app(user)
        factors.confirm_app(user, pyotp.TOTP(user.totp_secret).now())
        db.session.commit()


def sessions() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.ended_at.is_(None))
    )


def test_without_amr_our_second_factor_is_asked(app, client):
    account_with_app(app, client)
    answer = arrive(app, client, "corp", said())
    assert answer.status_code == 303 and answer.headers["Location"] == "/login/verify"
    assert sessions() == 0


def test_a_provider_that_checked_a_second_factor_signs_in_at_once(app, client):
    account_with_app(app, client)
    answer = arrive(app, client, "corp", said(second_factor=True))
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert sessions() == 1
