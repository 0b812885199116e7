"""Helpers of the second-factor tests: an account with an authenticator app, codes computed
here from its key as the person's phone would."""

from __future__ import annotations

import time

import pyotp
import pytest

from app.auth import factors
from app.extensions import db
from tests.auth.helpers import reload
from tests.factories import PASSWORD


def code_at(user, offset_steps: int = 0) -> str:
    """The code the app shows now (or `offset_steps` of 30 s earlier or later)."""
    return pyotp.TOTP(reload(user).totp_secret).at(time.time() + 30 * offset_steps)


@pytest.fixture
def with_app(app, make_user):
    """`with_app(**user_fields)`: an account whose app is set up; returns (user, codes)."""

    def make(**fields):
        user = make_user(**fields)
        with app.test_request_context(method="POST"):
            factors.begin_app(user)
            codes = factors.confirm_app(user, pyotp.TOTP(user.totp_secret).now())
            db.session.commit()
        return reload(user), codes

    return make


def password_step(client, user, remember_device: bool = False):
    """Sign in with the password: the answer is the redirect to /login/verify."""
    return client.submit("/login", {"login": user.username, "password": PASSWORD})


def verify(client, **fields):
    return client.submit("/login/verify", fields)
