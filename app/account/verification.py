"""Proof that a person controls their email address (SECURITY 30).

With mail configured, a new or changed address gets an emailed single-use link: 256 bits from
`secrets`, only its SHA-256 kept on the user's row, alive for 48 hours. The signed-in owner of
the account opens it and confirms (a GET shows the button, the POST verifies). A new link replaces
the previous one; a new address voids both the link and the proof (User._keep_email_key). An
admin may mark an address verified by hand, the only way when the site sends no mail.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from sqlalchemy import or_, update

from app import audit, mail
from app.errors import Conflict, DomainError
from app.extensions import db, utcnow
from app.models import User

log = logging.getLogger("gatehouse.verification")
LIFETIME = timedelta(hours=48)
RESEND_AFTER = timedelta(minutes=1)
INVALID = (
    "This verification link is not valid any more. Links work once, expire after "
    f"{LIFETIME.days * 24} hours, and only for the account and address they were sent for; "
    "ask for a new one from your account page."
)


class InvalidLink(DomainError):
    """404 with its explanation: unlike NotFound, it hides nothing the person does not know."""

    status = 404

    def __init__(self) -> None:
        super().__init__(INVALID)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User) -> str | None:
    """A new link for the user's current address, replacing any earlier one; None if a link went
    out less than RESEND_AFTER ago. One conditional UPDATE, so simultaneous requests issue one
    link between them. The caller commits, then calls send()."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    sent_recently_after = now + LIFETIME - RESEND_AFTER  # expiries later than this are recent
    issued = db.session.scalar(
        update(User)
        .where(
            User.id == user.id,
            or_(
                User.email_verification_expires_at.is_(None),
                User.email_verification_expires_at <= sent_recently_after,
            ),
        )
        .values(email_verification_hash=digest(token), email_verification_expires_at=now + LIFETIME)
        .returning(User.id)
    )
    if issued is None:
        return None
    audit.record("account.email_verification_sent", user, target_user=user, detail=user.email)
    # Queued in the outbox in this same transaction: it goes out only if the caller commits.
    mail.send_email_verification(user, token, int(LIFETIME.total_seconds() // 3600))
    return token


def start(user: User) -> bool:
    """After a new or changed address: queue a link to verify it when mail is configured."""
    if not mail.configured() or not user.email or user.email_verified:
        return False
    return issue(user) is not None


def resend(user: User) -> None:
    if not mail.configured():
        raise Conflict(
            "This site does not send mail, so addresses cannot be verified by link; "
            "an administrator can mark yours verified."
        )
    if not user.email:
        raise DomainError("Add an email address first.")
    if user.email_verified:
        raise Conflict("Your email address is already verified.")
    if issue(user) is None:
        raise Conflict(
            "A link was sent less than a minute ago; check your inbox (and spam folder) "
            "before asking for another."
        )


def is_live(user: User, token: str) -> bool:
    """Whether `token` is the user's own unexpired link (changes nothing: for the GET page)."""
    expires = user.email_verification_expires_at
    return (
        bool(user.email and user.email_verification_hash and token)
        and len(token) <= 100
        and hmac.compare_digest(user.email_verification_hash or "", digest(token))
        and expires is not None
        and expires > utcnow()
    )


def confirm(user: User, token: str) -> None:
    """Use the link once: one conditional UPDATE, so two confirmations cannot both count."""
    if not token or len(token) > 100:
        raise InvalidLink()
    now = utcnow()
    done = db.session.scalar(
        update(User)
        .where(
            User.id == user.id,
            User.email_verification_hash == digest(token),
            User.email_verification_expires_at > now,
            User.email.is_not(None),
        )
        .values(
            email_verified_at=now,
            email_verification_hash=None,
            email_verification_expires_at=None,
        )
        .returning(User.id)
    )
    if done is None:
        raise InvalidLink()
    audit.record("account.email_verified", user, target_user=user, detail=user.email)


def mark_verified(actor: User, user: User) -> None:
    """An admin vouches for the address (audited); the only way when the site sends no mail."""
    if not user.email:
        raise DomainError(f"{user.username} has no email address to verify.")
    if user.email_verified:
        raise Conflict(f"The address of {user.username} is already verified.")
    user.email_verified_at = utcnow()
    user.email_verification_hash = None
    user.email_verification_expires_at = None
    audit.record("admin.email_verified", actor, target_user=user, detail=user.email)
