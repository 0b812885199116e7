"""Recovery by security question: the question shown, the answer checked, the lockout counted."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, literal, or_, update

from app import audit, mail, passwords, settings
from app.auth.services import QUESTIONS, find_account
from app.extensions import db, utcnow
from app.models import User
from app.models.user import name_key

RECOVERY_WINDOW = timedelta(hours=24)


def wrong_answer_message() -> str:
    return (
        f"That answer does not match. After {settings.get('recovery_answers_per_day')} wrong "
        "answers in 24 hours, recovery by question closes for the account until an "
        "administrator reopens it."
    )


def decoy_question(login: str) -> str:
    """A fixed question for a name without an account: HMAC(secret, name) picks it."""
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, b"decoy:" + name_key(login).encode(), hashlib.sha256).digest()
    return QUESTIONS[int.from_bytes(mac[:4], "big") % len(QUESTIONS)]


def recovery_question(login: str) -> str:
    user = find_account(login)
    if user is None or not user.security_question:
        return decoy_question(login)
    return user.security_question


def _recovery_open(user: User) -> bool:
    return not (user.recovery_locked or user.is_disabled or not user.security_answer_hash)


def answer_question(login: str, answer: str) -> tuple[User, str] | None:
    """Check an answer; on success set and return a temporary password. None on any failure."""
    user = find_account(login)
    now = utcnow()
    if user is None or not _recovery_open(user):
        passwords.burn_time()
        audit.record(
            "recovery.failed",
            target_user=user,
            target=None if user else name_key(login),
            detail="unknown account" if user is None else "recovery closed",
        )
        return None
    if not passwords.verify_answer(user.security_answer_hash, answer):
        _count_wrong_answer(user, now)
        audit.record("recovery.failed", target_user=user, detail="wrong answer")
        return None
    temporary = passwords.temporary_password()  # 150 bits, no look-alike characters
    if not _open_with(user, passwords.hash_password(temporary), now):
        audit.record("recovery.failed", target_user=user, detail="recovery closed")
        return None
    from app.auth import sessions

    sessions.end_all(user, reason="recovery")
    audit.record("recovery.ok", user, target_user=user)
    mail.notify_security_change(user, "Your password was reset with your security question.")
    return user, temporary


def _open_with(user: User, temporary_hash: str, now: datetime) -> bool:
    """Set the temporary password, unless wrong answers closed recovery while this one was
    checked: the lock is read by the same write, so a right answer cannot slip past it."""
    opened = db.session.execute(
        update(User)
        .where(User.id == user.id, User.recovery_locked.is_(False))
        .values(
            temp_password_hash=temporary_hash,
            temp_password_expires_at=now + timedelta(minutes=settings.get("temp_password_minutes")),
            recovery_failures=0,
            recovery_window_start=None,
            failed_logins=0,
            last_failed_login_at=None,
        )
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.expire(user)
    return opened is not None


def _count_wrong_answer(user: User, now: datetime) -> None:
    """Count in the database, not in this request's copy of the row: wrong answers sent at the
    same moment each add one (SECURITY 16), and the one that reaches the limit closes recovery."""
    limit = settings.get("recovery_answers_per_day")
    window = User.recovery_window_start
    new_window = or_(window.is_(None), window <= now - RECOVERY_WINDOW)
    failures = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            recovery_window_start=case((new_window, literal(now, window.type)), else_=window),
            recovery_failures=case((new_window, 1), else_=User.recovery_failures + 1),
        )
        .returning(User.recovery_failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    closed = (
        failures >= limit
        and db.session.execute(
            update(User)
            .where(User.id == user.id, User.recovery_locked.is_(False))
            .values(recovery_locked=True)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        ).first()
    )
    db.session.expire(user)
    if closed:
        audit.record("recovery.locked", target_user=user)
