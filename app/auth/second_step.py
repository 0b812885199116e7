"""The step between a first proof (a password, a recovery, an identity provider) and the
session: the person must now prove a second factor at /login/verify (SPEC §10).

Who is half way is kept in the signed cookie session for ten minutes; nothing is signed in
until `finish`, so a stolen password alone opens no session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import session

from app.auth import devices, factors
from app.extensions import db
from app.models import User

KEY = "second_step"
LIFETIME = 600


@dataclass(frozen=True)
class Pending:
    user: User
    remember: bool
    target: str | None  # a local path to go to afterwards


def needed(user: User) -> bool:
    """Whether signing `user` in must wait for a second factor."""
    return factors.has_second_factor(user) and devices.remembered(user) is None


def begin(user: User, remember: bool = False, target: str | None = None) -> None:
    session[KEY] = {"uid": user.id, "remember": remember, "next": target, "at": int(time.time())}


def pending() -> Pending | None:
    """The person half way through signing in on this browser, if any and not too late."""
    state = session.get(KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > LIFETIME:
        session.pop(KEY, None)
        return None
    user = db.session.get(User, state.get("uid"))
    if user is None or user.is_disabled or not factors.has_second_factor(user):
        session.pop(KEY, None)
        return None
    return Pending(user, bool(state.get("remember")), state.get("next"))


def clear() -> None:
    session.pop(KEY, None)
