"""A person's own account: password, profile, recovery question."""

from __future__ import annotations

from app import audit, integrity, mail, passwords, tokens
from app.auth import sessions
from app.auth.services import name_taken
from app.errors import DomainError
from app.extensions import utcnow
from app.models import User, UserSession


class WrongPassword(DomainError):
    def __init__(self) -> None:
        super().__init__("The current password is not right.", field="current_password")


def check_current_password(user: User, password: str) -> None:
    """The account password, or during a forced change the temporary one, must match."""
    if passwords.verify_password(user.password_hash, password):
        return
    if (
        user.must_change_password
        and user.temp_password_hash
        and passwords.verify(user.temp_password_hash, password)
    ):
        return
    raise WrongPassword()


def change_password(
    user: User, current: str, new: str, keep: UserSession | None, revoke_tokens: bool = False
) -> None:
    """A new password; the other sessions end. API tokens stay unless the person asks
    (SPEC §9): scripts keep running after a routine change."""
    check_current_password(user, current)
    if (
        new == current
        or passwords.verify_password(user.password_hash, new)
        or (user.temp_password_hash and passwords.verify(user.temp_password_hash, new))
    ):
        raise DomainError("Choose a password different from the current one.", field="new_password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    user.temp_password_hash = None
    user.temp_password_expires_at = None
    ended = sessions.end_all(user, reason="password changed", keep=keep)
    detail = f"{ended} other sessions ended"
    if revoke_tokens:
        detail += f"; API tokens revoked: {tokens.revoke_all_of(user)}"
    audit.record("password.changed", user, target_user=user, detail=detail)
    mail.notify_security_change(user, "Your password was changed.")


def update_profile(user: User, display_name: str, email: str, current: str | None) -> bool:
    """Returns whether the email changed (which needs the current password)."""
    email_changed = (email or "").casefold() != (user.email or "").casefold()
    if email_changed:
        if not current:
            raise WrongPassword()
        check_current_password(user, current)
        if name_taken(email=email, exclude=user):
            raise integrity.taken("uq_users_email_key")
        audit.record(
            "account.email_changed", user, target_user=user, detail=f"{user.email} -> {email}"
        )
    user.display_name = display_name
    user.email = email
    return email_changed


def change_question(user: User, current: str, question: str, answer: str) -> None:
    check_current_password(user, current)
    set_question(user, question, answer)


def set_question(user: User, question: str, answer: str) -> None:
    """The question and the hash of its answer; the caller has checked who is asking."""
    user.security_question = question
    user.security_answer_hash = passwords.hash_answer(answer)
    user.recovery_failures = 0
    user.recovery_locked = False
    audit.record("account.question_changed", user, target_user=user)


def revoke_own_session(user: User, session_id: int) -> bool:
    ended = sessions.end_by_id(user.id, session_id, reason="revoked by owner")
    if ended:
        audit.record("session.revoked", user, target_user=user, detail=f"session {session_id}")
    return bool(ended)


def revoke_other_sessions(user: User, keep: UserSession | None) -> int:
    ended = sessions.end_all(user, reason="revoked by owner", keep=keep)
    audit.record("session.revoked", user, target_user=user, detail=f"{ended} other sessions")
    return ended
