"""Sign-up, sign-in and security-question recovery: rules and writes, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from app import audit, integrity, passwords, settings
from app.errors import DomainError
from app.extensions import db, utcnow
from app.models import User
from app.models.user import name_key

QUESTIONS = (
    "What was the name of your first pet?",
    "In which town did you go to primary school?",
    "What was the first concert you went to?",
    "What is the name of a teacher who made a difference to you?",
    "What was the make of your first bicycle?",
    "Which street did you live on at the age of ten?",
    "What was your childhood nickname?",
    "What was the first film you saw at a cinema?",
)
FAILED = "That sign-in did not work. Check the name and password and try again."


@dataclass
class NewAccount:
    email: str
    username: str
    display_name: str
    password: str
    security_question: str
    security_answer: str


def find_account(login: str) -> User | None:
    key = name_key(login)
    if not key:
        return None
    return db.session.scalar(
        select(User).where(or_(User.username_key == key, User.email_key == key))
    )


TAKEN = {"username": "uq_users_username_key", "email": "uq_users_email_key"}


def name_taken(
    username: str | None = None, email: str | None = None, exclude: User | None = None
) -> str | None:
    """Which of the two is already used by another account, or None."""
    for field, column, value in (
        ("username", User.username_key, username),
        ("email", User.email_key, email),
    ):
        if not value:
            continue
        query = select(User.id).where(column == name_key(value))
        if exclude is not None:
            query = query.where(User.id != exclude.id)
        if db.session.scalar(query) is not None:
            return field
    return None


def register(data: NewAccount) -> User:
    if not settings.get("registration_open"):
        raise DomainError("Registration is closed.")
    taken = name_taken(data.username, data.email)
    if taken:
        raise integrity.taken(TAKEN[taken])
    now = utcnow()
    user = User(
        username=data.username,
        email=data.email,
        display_name=data.display_name or data.username,
        password_hash=passwords.hash_password(data.password),
        security_question=data.security_question,
        security_answer_hash=passwords.hash_answer(data.security_answer),
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()  # a name taken since the check fails here (see app/integrity.py)
    audit.record("signup", user, target_user=user)
    return user


def _delay(failures: int) -> timedelta:
    """Growing wait between attempts once an account has five failures in a row."""
    return timedelta(seconds=min(2 ** max(failures - 5, 0), 300)) if failures >= 5 else timedelta()


def _throttled(user: User, now: datetime) -> bool:
    if user.failed_logins >= settings.get("login_max_failures"):
        return True
    last = user.last_failed_login_at
    return last is not None and now < last + _delay(user.failed_logins)


def authenticate(login: str, password: str) -> User | None:
    """The account for a name and password, or None with the failure recorded.

    Every path runs one argon2 verification, so the answer time does not tell which names
    exist, which are disabled, and which are throttled.
    """
    user = find_account(login)
    now = utcnow()
    if user is None:
        passwords.burn_time()
        audit.record("login.failed", target=name_key(login)[:254], detail="unknown account")
        return None
    if _throttled(user, now) or user.is_disabled:
        passwords.burn_time()
        reason = "disabled" if user.is_disabled else "throttled"
    elif passwords.verify_password(user.password_hash, password):
        _signed_in(user, password, now)
        return user
    elif _temporary_password_matches(user, password, now):
        _signed_in(user, None, now)
        user.must_change_password = True
        user.temp_password_expires_at = None  # used: it opens one session only
        audit.record("recovery.temporary_password_used", user, target_user=user)
        return user
    else:
        reason = "wrong password"
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1, last_failed_login_at=now)
        )
    audit.record("login.failed", target_user=user, detail=reason)
    return None


def _temporary_password_matches(user: User, password: str, now: datetime) -> bool:
    if not user.temp_password_hash or user.temp_password_expires_at is None:
        return False
    if now >= user.temp_password_expires_at:
        return False
    return passwords.verify(user.temp_password_hash, password)


def _signed_in(user: User, password: str | None, now: datetime) -> None:
    if password is not None and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if password is not None:  # the person knows the password: a pending recovery is void
        user.temp_password_hash = None
        user.temp_password_expires_at = None
    user.failed_logins = 0
    user.last_failed_login_at = None
    user.recovery_failures = 0
    user.recovery_locked = False
    user.last_login_at = now
    audit.record("login.ok", user, target_user=user)


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
