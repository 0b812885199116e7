"""Admin actions: plain arguments in, a change (audited) or a DomainError out. Callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from app import audit, integrity, passwords, settings, tokens
from app.auth import sessions
from app.auth.services import TAKEN, name_taken
from app.billing import plans
from app.errors import DomainError, NotFound
from app.extensions import db, utcnow
from app.models import Organization, User, UserSession
from app.models.user import name_key

REVOKED = "revoked by admin"


def _require_names_free(username: str | None, email: str | None, exclude: User | None = None):
    taken = name_taken(username, email, exclude=exclude)
    if taken:
        raise integrity.taken(TAKEN[taken])


def _require_not_self(actor: User, user: User, verb: str) -> None:
    if actor.id == user.id:
        raise DomainError(f"You cannot {verb} your own account.")


def lock_admins() -> list[int]:
    """The enabled administrators' ids, their rows locked until the transaction ends.

    Always all of them and in id order, so that two administrators acting on each other wait
    for one another instead of deadlocking (on SQLite the write transaction already waits).
    """
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.is_admin.is_(True), User.is_disabled.is_(False))
            .order_by(User.id)
            .with_for_update()
        )
    )


def _require_other_admin(user: User, verb: str) -> None:
    """The last enabled administrator stays; decided on the locked rows, not on `user`'s copy."""
    if lock_admins() == [user.id]:
        raise DomainError(f"{user.username} is the last administrator and cannot be {verb}.")


@dataclass
class NewUser:
    username: str
    display_name: str
    email: str | None
    password: str
    is_admin: bool = False
    must_change_password: bool = False

    @classmethod
    def from_form(cls, form) -> tuple[NewUser, str | None]:
        """The account the admin panel's new-user form (page or API) asks for, and the password
        generated for it when none was given: shown once, changed at the first sign-in."""
        temporary = None if form.password.data else passwords.temporary_password()
        data = cls(
            username=form.username.data,
            display_name=form.display_name.data,
            email=form.email.data,
            password=form.password.data or temporary or "",
            is_admin=form.is_admin.data,
            must_change_password=form.must_change_password.data or temporary is not None,
        )
        return data, temporary


def create_user(actor: User, data: NewUser) -> User:
    _require_names_free(data.username, data.email)
    now = utcnow()
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        email=data.email or None,
        password_hash=passwords.hash_password(data.password),
        is_admin=data.is_admin,
        must_change_password=data.must_change_password,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "admin.user_created",
        actor,
        target_user=user,
        detail="administrator" if data.is_admin else None,
    )
    return user


@dataclass
class UserChanges:
    display_name: str
    email: str | None
    is_admin: bool
    password: str | None
    must_change_password: bool
    revoke_sessions: bool


def update_user(
    actor: User, user: User, changes: UserChanges, keep: UserSession | None = None
) -> list[str]:
    """Apply the edit form; returns what changed. The user notices at their next request.

    A new password ends every session of the person, box ticked or not (SECURITY 22): whoever
    knew the old one must not stay signed in. An admin editing themselves keeps `keep`.
    """
    if user.is_admin and not changes.is_admin:
        _require_not_self(actor, user, "remove administrator rights from")
        _require_other_admin(user, "demoted")
    email = changes.email or None
    if (email or "").casefold() != (user.email or "").casefold():
        _require_names_free(None, email, exclude=user)
    done = []
    for field in ("display_name", "email", "is_admin", "must_change_password"):
        old, new = getattr(user, field), email if field == "email" else getattr(changes, field)
        if old != new:
            setattr(user, field, new)
            done.append(f"{field}: {old} -> {new}")
            if field == "is_admin":
                sessions.privileges_changed(user)
    if changes.password:
        user.password_hash = passwords.hash_password(changes.password)
        user.password_changed_at = utcnow()
        user.temp_password_hash = None
        user.temp_password_expires_at = None
        done.append("password")
    if changes.password or changes.revoke_sessions:
        kept = keep if actor.id == user.id else None
        done.append(f"sessions ended: {sessions.end_all(user, REVOKED, keep=kept)}")
    if done:
        audit.record("admin.user_updated", actor, target_user=user, detail="; ".join(done))
    return done


def set_temporary_password(actor: User, user: User) -> str:
    """A new random password the person must replace at their next sign-in, shown once to the
    admin who passes it on. Every session of the person ends, as with any new password."""
    _require_not_self(actor, user, "set a temporary password for")
    temporary = passwords.temporary_password()
    user.password_hash = passwords.hash_password(temporary)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.temp_password_hash = None
    user.temp_password_expires_at = None
    ended = sessions.end_all(user, REVOKED)
    audit.record("admin.password_reset", actor, target_user=user, detail=f"sessions ended: {ended}")
    return temporary


def disable(actor: User, user: User) -> int:
    _require_not_self(actor, user, "disable")
    _require_other_admin(user, "disabled")
    user.is_disabled = True
    ended = sessions.end_all(user, "account disabled")
    revoked = tokens.revoke_all_of(user)  # tokens die with the account (SPEC §9)
    detail = f"sessions ended: {ended}" + (f"; tokens revoked: {revoked}" if revoked else "")
    audit.record("admin.user_disabled", actor, target_user=user, detail=detail)
    return ended


def enable(actor: User, user: User) -> None:
    user.is_disabled = False
    audit.record("admin.user_enabled", actor, target_user=user)


def unlock(actor: User, user: User) -> None:
    """Clear the sign-in failure counter and reopen recovery by security question."""
    detail = (
        f"failed sign-ins: {user.failed_logins}; wrong answers: {user.recovery_failures}; "
        f"recovery was {'closed' if user.recovery_locked else 'open'}"
    )
    user.failed_logins = 0
    user.last_failed_login_at = None
    user.recovery_failures = 0
    user.recovery_window_start = None
    user.recovery_locked = False
    audit.record("admin.user_unlocked", actor, target_user=user, detail=detail)


def delete_user(actor: User, user: User, confirm_username: str) -> None:
    """Sessions, memberships, invitations and personal projects go with the account (FKs)."""
    if name_key(confirm_username or "") != user.username_key:
        raise DomainError("That is not this account's username.", field="confirm_username")
    _require_not_self(actor, user, "delete")
    _require_other_admin(user, "deleted")
    owned = db.session.scalars(
        select(Organization.slug)
        .where(Organization.owner_id == user.id)
        .order_by(Organization.slug)
    ).all()
    if owned:
        raise DomainError(
            f"{user.username} owns {', '.join(owned)}. Transfer or delete "
            f"{'that organization' if len(owned) == 1 else 'those organizations'} "
            "first."
        )
    plans.require_not_charging(user, what=user.username)
    audit.record(
        "admin.user_deleted",
        actor,
        target=user.username,
        detail=f"user id {user.id}, email {user.email or '-'}",
    )
    db.session.execute(delete(User).where(User.id == user.id))
    db.session.expunge(user)


def revoke_session(actor: User, session_id: int) -> UserSession:
    record = db.session.get(UserSession, session_id)
    if record is None:
        raise NotFound("There is no such session.")
    if record.ended_at is not None or not sessions.end(record, REVOKED):
        raise DomainError("That session had already ended.")
    audit.record("session.revoked", actor, target_user=record.user, detail=f"session {session_id}")
    return record


def revoke_sessions(actor: User, user: User, keep: UserSession | None = None) -> int:
    """End every session of `user`; an admin revoking their own keeps the one in use."""
    ended = sessions.end_all(user, REVOKED, keep=keep if actor.id == user.id else None)
    audit.record("session.revoked", actor, target_user=user, detail=f"all sessions: {ended}")
    return ended


def save_settings(actor: User, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changed = settings.set_many(values)
    for key, (old, new) in changed.items():
        audit.record("settings.changed", actor, detail=f"{key}: {old} -> {new}")
    return changed


def rename_user(actor: User, user: User, username: str) -> None:
    """A new username (a provisioning client renames people; the pages never do)."""
    if username == user.username:
        return
    if name_key(username) != user.username_key:
        _require_names_free(username, None, exclude=user)
    old = user.username
    user.username = username
    audit.record("admin.user_renamed", actor, target_user=user, detail=f"{old} -> {username}")
