from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.extensions import Model, utcnow


def name_key(value: str) -> str:
    """The form two names are compared in: case-insensitive, surrounding space dropped."""
    return value.strip().casefold()


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        # The admin table pages by these with the id as tie-breaker (migration 0002).
        Index("ix_users_created_at_id", "created_at", "id"),
        Index("ix_users_open_sessions_id", "open_sessions", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50))
    username_key: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    # Set when the person proved control of `email` (emailed link) or an admin vouched for it;
    # any change of address clears it (see _keep_email_key).
    email_verified_at: Mapped[datetime | None]
    # The one live verification link (only its SHA-256); a new link or a new address replaces it.
    email_verification_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    email_verification_expires_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    # False for an account made by a single sign-on: its password_hash is random and unknown
    # to anyone, so its identities are its only way in (never all unlinked).
    password_set: Mapped[bool] = mapped_column(default=True, server_default=true())
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    security_question: Mapped[str | None] = mapped_column(String(200))
    security_answer_hash: Mapped[str | None] = mapped_column(String(255))
    # Consecutive failed password sign-ins (NIST 63B throttling); reset by a success.
    failed_logins: Mapped[int] = mapped_column(default=0)
    last_failed_login_at: Mapped[datetime | None]
    # Wrong security answers in the current 24 h window; recovery closes at the limit.
    recovery_failures: Mapped[int] = mapped_column(default=0)
    recovery_window_start: Mapped[datetime | None]
    recovery_locked: Mapped[bool] = mapped_column(default=False)
    temp_password_hash: Mapped[str | None] = mapped_column(String(255))
    temp_password_expires_at: Mapped[datetime | None]
    # Sessions not yet ended; kept exact by app.auth.sessions (it is what admins sort by).
    open_sessions: Mapped[int] = mapped_column(default=0)
    # Moves on whenever the person's admin flag or an organization role changes; a session
    # begun under an older value is replaced by a new one on its next request (SECURITY 21).
    privilege_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    notes: Mapped[str | None] = mapped_column(Text)
    # The provisioning client's own name for the account (SCIM externalId), kept as given.
    scim_external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The authenticator app (SPEC §10): its RFC 6238 key, set at enrollment and in use once
    # confirmed by a code; the last accepted time step, so no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Since when the person has a second factor (app or passkey): None while they have none,
    # kept by app/auth/factors.py so that sign-in and every page know without a query.
    second_factor_at: Mapped[datetime | None]
    # When a person required to use a second factor must have enrolled (the grace period).
    factor_deadline: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(index=True)
    password_changed_at: Mapped[datetime | None]

    @validates("username")
    def _keep_username_key(self, _key: str, value: str) -> str:
        self.username_key = name_key(value)
        return value

    @validates("email")
    def _keep_email_key(self, _key: str, value: str | None) -> str | None:
        key = name_key(value) if value else None
        if self.email_key is not None and key != self.email_key:
            # Another mailbox: what was proved of the old one is void.
            self.email_verified_at = None
            self.email_verification_hash = None
            self.email_verification_expires_at = None
        self.email_key = key
        return value or None

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account is not signed in
        return not self.is_disabled

    @property
    def email_verified(self) -> bool:
        return bool(self.email) and self.email_verified_at is not None

    @property
    def email_local_part(self) -> str:
        return (self.email or "").rpartition("@")[0]

    def __repr__(self) -> str:
        return f"<User {self.username}>"
