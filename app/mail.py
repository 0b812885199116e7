"""Outgoing mail: composed here, written to the outbox in the caller's transaction, and sent
over SMTP (smtplib and email from the standard library) by the worker (app/outbox.py, app/jobs.py).

Nothing here talks to the SMTP server during a request: `send` and the functions built on it
only add an outbox row, which exists exactly when the caller's transaction commits. Without
MAIL_SERVER nothing is queued: the message is logged without its body (which may carry a link or
token) and callers show links to whoever must pass them on.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app import jobs
from app.extensions import db, utcnow
from app.models import OutboxMessage, User

log = logging.getLogger("gatehouse.mail")


class MailError(Exception):
    """The SMTP server refused the message or could not be reached."""


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def external_url(path: str) -> str:
    """An absolute link from BASE_URL, never from the request's Host header."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def send(to: str, subject: str, body: str) -> None:
    """Queue a message in the current transaction: it goes out only if the caller commits."""
    if not configured():
        log.info("mail not configured; not sent: to=%s subject=%r", to, subject)
        return
    now = utcnow()
    db.session.add(
        OutboxMessage(
            recipient=to, subject=subject[:200], body=body, created_at=now, next_attempt_at=now
        )
    )
    jobs.deliver_after_commit(db.session())


def transmit(to: str, subject: str, body: str) -> None:
    """Hand one message to the SMTP server now (the worker's side); raises MailError."""
    cfg = current_app.config
    if not configured():
        raise MailError("Mail is not configured (MAIL_SERVER).")
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(
            cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"]
        ) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s failed: %s", to, exc.__class__.__name__)
        raise MailError(
            f"The mail server did not take the message ({exc.__class__.__name__})."
        ) from exc


def notify_security_change(user: User, what: str) -> None:
    """Queue a notice with the change it reports (same transaction); a failure to deliver it
    later never undoes the change."""
    if not configured() or not user.email:
        return
    body = (
        f"Hello {user.display_name},\n\n{what}\n\nIf this was not you, contact your "
        f"administrator at once.\n\n{external_url('/login')}\n"
    )
    send(user.email, "Security notice for your account", body)


def invitation_link(token: str) -> str:
    return external_url(f"/invitations/{token}")


def send_invitation(invitation, org, inviter: User, token: str) -> None:
    """Queue the invitation's mail in the transaction that issues it (the one who sends it now,
    for a resend, is named as the inviter)."""
    inviter_name = inviter.display_name
    body = (
        f"Hello,\n\n{inviter_name} invites you to join {org.name} on "
        f"{external_url('/').rstrip('/')} as {invitation.role}.\n\n"
        f"Open this link to accept or decline:\n{invitation_link(token)}\n\n"
        f"The link works once and expires on "
        f"{invitation.expires_at.strftime('%Y-%m-%d %H:%M UTC')}. If you do not know "
        f"{org.name}, ignore this message.\n"
    )
    send(invitation.email, f"Invitation to join {org.name}", body)


def send_recovery_link(user: User, token: str, minutes: int) -> None:
    """Queue the link in the transaction that stores its hash."""
    if not user.email:
        return
    body = (
        f"Hello {user.display_name},\n\nSomeone (hopefully you) asked to recover the "
        f"password of your account. Open this link to continue; it works once and "
        f"expires in {minutes} minutes:\n{external_url('/forgot/link/' + token)}\n\n"
        "If this was not you, ignore this message: your password has not changed.\n"
    )
    send(user.email, "Recover your account", body)


def send_email_verification(user: User, token: str, hours: int) -> None:
    if not user.email:
        return
    body = (
        f"Hello {user.display_name},\n\nOpen this link to confirm that {user.email} is the "
        f"address of your account {user.username}; it works once and expires in {hours} "
        f"hours:\n{external_url('/account/verify-email/' + token)}\n\n"
        "If you did not give this address, ignore this message.\n"
    )
    send(user.email, "Verify your email address", body)
