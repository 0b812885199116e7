"""The emailed single-use link in front of the security question (SECURITY.md, deviations).

With mail configured and the setting `recovery_email_link` on, /forgot mails a link instead of
going straight to the question, and /forgot/answer opens only for the account whose link was
followed in this browser session. The page after /forgot is the same whether or not the account
exists or has an email address, and so is the work behind it: the request writes an audit row
and queues a task; the worker looks the account up, issues the link and mails it (send_for).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import redirect, render_template, session, url_for
from sqlalchemy import select, update

from app import audit, jobs, mail, settings
from app.auth import bp, services
from app.errors import render_error
from app.extensions import db, utcnow
from app.models import RecoveryLink, User
from app.transactions import writes

SESSION_KEY = "recover_link_user"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def required() -> bool:
    return mail.configured() and bool(settings.get("recovery_email_link"))


def issue(user: User) -> str:
    """A new link for `user`; earlier unused links die. The caller commits."""
    now = utcnow()
    db.session.execute(
        update(RecoveryLink)
        .where(RecoveryLink.user_id == user.id, RecoveryLink.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)  # 256 bits
    minutes = settings.get("temp_password_minutes")
    db.session.add(
        RecoveryLink(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    return token


def send_for(login: str) -> None:
    """The worker's side: mail a link when `login` names an account with an email (through the
    outbox, in the transaction that stores the link's hash); otherwise only note it."""
    user = services.find_account(login)
    if user is None or not user.email or user.is_disabled:
        audit.record("recovery.link_not_sent", target=login[:254])
    else:
        token = issue(user)
        audit.record("recovery.link_sent", target_user=user)
        mail.send_recovery_link(user, token, settings.get("temp_password_minutes"))
    db.session.commit()


def follow(token: str) -> User | None:
    """Use a link once: the account it belongs to while it is fresh, else None."""
    link = db.session.scalar(
        select(RecoveryLink).where(RecoveryLink.token_hash == digest(token)).with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    link.used_at = utcnow()
    return db.session.get(User, link.user_id)


def verified(login: str) -> bool:
    user = services.find_account(login)
    return user is not None and session.get(SESSION_KEY) == user.id


def start(login: str):
    """/forgot in link mode: forget any earlier recovery in this browser, queue the link, say so.

    Nothing here depends on whether `login` names an account, so neither the page nor the time
    it takes tells (the account is looked up by the worker).
    """
    session.pop("recover", None)
    session.pop(SESSION_KEY, None)
    login = login[:254]
    audit.record("recovery.link_requested", target=login)
    db.session.commit()
    jobs.enqueue(jobs.send_recovery_link, login)
    return render_template("auth/recovery_link_sent.html"), 200


@bp.get("/forgot/link/<token>")
@writes  # using the link once is a write: on SQLite it takes the write lock at BEGIN
def follow_link(token: str):
    user = follow(token[:100])
    db.session.commit()
    if user is None:
        return render_error(
            404,
            "This recovery link is not valid any more. Links work once "
            "and expire; ask for a new one.",
        )
    session["recover"] = user.username
    session[SESSION_KEY] = user.id
    return redirect(url_for("auth.forgot_answer"), 303)
