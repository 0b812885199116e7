"""What a federated sign-in does to accounts (SPEC §8 rules): find, link, create, unlink.
Rules and writes only; the HTTP side is app/sso/web.py.

- An identity is found by (provider, subject) and signs its account in.
- Otherwise an account with the asserted address is linked only when the provider says the
  address is verified and the person then signs in to that account once (`Pending`).
- Otherwise an account is created when registration is open or the provider has `jit: true`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select

from app import audit, passwords, settings
from app.auth.services import find_account
from app.errors import DomainError
from app.extensions import db, utcnow
from app.models import FederatedIdentity, User
from app.models.user import name_key
from app.sso.config import Provider

_USERNAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Assertion:
    """What a provider said about the person, once its signature and claims were checked."""

    subject: str
    email: str | None
    email_verified: bool
    username: str | None = None
    display_name: str | None = None
    second_factor: bool = False  # the provider says it checked a second factor (OIDC amr)


@dataclass(frozen=True)
class Pending:
    """A link to an existing account, made once the person signs in to it with its password."""

    user_id: int
    provider: str
    subject: str
    email: str


class Refused(DomainError):
    """A federated sign-in that signs nobody in; `kind` goes to the audit log."""

    status = 403

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def sign_in(provider: Provider, said: Assertion) -> User | Pending:
    """The account this assertion signs in to, or the link it offers. The caller commits."""
    if not said.subject or len(said.subject) > 255:
        raise Refused("The identity provider did not identify the person.", "no subject")
    identity = db.session.scalar(
        select(FederatedIdentity).where(
            FederatedIdentity.provider == provider.id, FederatedIdentity.subject == said.subject
        )
    )
    if identity is not None:
        return _known(provider, identity, said)
    if not said.email:
        raise Refused(f"{provider.name} did not give an email address.", "no email")
    existing = db.session.scalar(select(User).where(User.email_key == name_key(said.email)))
    if existing is not None:
        if not said.email_verified:
            raise Refused(
                f"An account with the address {said.email} exists, but {provider.name} did not "
                "confirm that the address is yours, so the two cannot be linked. Sign in with "
                "your password instead.",
                "unverified email",
            )
        if existing.is_disabled:
            raise Refused("This account is disabled. Ask an administrator.", "disabled")
        audit.record("sso.link_offered", existing, target_user=existing, detail=provider.id)
        return Pending(existing.id, provider.id, said.subject, said.email)
    return _create(provider, said)


def _known(provider: Provider, identity: FederatedIdentity, said: Assertion) -> User:
    user = identity.user
    if user.is_disabled:
        raise Refused("This account is disabled. Ask an administrator.", "disabled")
    now = utcnow()
    identity.last_used_at = now
    if said.email:
        identity.email = said.email[:254]
    user.last_login_at = now
    audit.record("sso.login", user, target_user=user, detail=provider.id)
    return user


def _create(provider: Provider, said: Assertion) -> User:
    if not (settings.get("registration_open") or provider.jit):
        raise Refused(
            "There is no account for you on this site yet, and registration is closed. Ask an "
            "administrator for an account.",
            "registration closed",
        )
    now = utcnow()
    username = free_username(said.username or (said.email or "").partition("@")[0])
    user = User(
        username=username,
        email=said.email,
        display_name=(said.display_name or username)[:100],
        # Nobody knows this password: the identity is the way in (password_set).
        password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
        password_set=False,
        created_at=now,
        last_login_at=now,
        email_verified_at=now if said.email_verified else None,
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(
        FederatedIdentity(
            user=user,
            provider=provider.id,
            subject=said.subject,
            email=said.email,
            created_at=now,
            last_used_at=now,
        )
    )
    audit.record("signup", user, target_user=user, detail=f"through {provider.id}")
    audit.record("sso.login", user, target_user=user, detail=provider.id)
    return user


def free_username(wanted: str) -> str:
    """`wanted` cleaned as at sign-up, with a number added when it is taken."""
    base = _USERNAME.sub("", wanted)[:40] or "user"
    if len(base) < 3:
        base = f"{base}user"
    taken = set(
        db.session.scalars(
            select(User.username_key).where(User.username_key.like(f"{name_key(base)}%"))
        )
    )
    if name_key(base) not in taken:
        return base
    for n in range(2, 10_000):
        if name_key(f"{base}{n}") not in taken:
            return f"{base}{n}"
    return f"{base}{secrets.token_hex(3)}"


def link(user: User, pending: Pending) -> FederatedIdentity | None:
    """Link the identity once its owner signed in to `user` with the password."""
    if pending.user_id != user.id:
        return None
    identity = FederatedIdentity(
        user=user, provider=pending.provider, subject=pending.subject, email=pending.email
    )
    db.session.add(identity)
    db.session.flush()  # the identity linked elsewhere meanwhile fails here (unique)
    audit.record("sso.linked", user, target_user=user, detail=pending.provider)
    return identity


def identities(user: User) -> list[FederatedIdentity]:
    return list(
        db.session.scalars(
            select(FederatedIdentity)
            .where(FederatedIdentity.user_id == user.id)
            .order_by(FederatedIdentity.created_at, FederatedIdentity.id)
        )
    )


def unlink(user: User, identity_id: int) -> FederatedIdentity:
    """Remove one of the person's identities, never their last way in: an account without a
    password it knows keeps at least one. The user's row is locked first, so two unlinks at
    once cannot both see two identities (on SQLite the POST's BEGIN IMMEDIATE does it)."""
    db.session.scalar(select(User.id).where(User.id == user.id).with_for_update())
    identity = db.session.scalar(
        select(FederatedIdentity).where(
            FederatedIdentity.id == identity_id, FederatedIdentity.user_id == user.id
        )
    )
    if identity is None:
        raise DomainError("That identity is not linked to your account.")
    count = db.session.scalar(
        select(func.count(FederatedIdentity.id)).where(FederatedIdentity.user_id == user.id)
    )
    if not user.password_set and (count or 0) <= 1:
        raise DomainError(
            "This is your only way to sign in: set a password or link another identity first."
        )
    db.session.delete(identity)
    audit.record("sso.unlinked", user, target_user=user, detail=identity.provider)
    return identity


def required_domains() -> set[str]:
    text = settings.get("sso_required_domains") or ""
    return {d.strip().lstrip("@").lower() for d in text.replace(";", ",").split(",") if d.strip()}


def password_refused(login: str) -> User | None:
    """The account behind `login` when its email domain must sign in through SSO (an
    administrator sets the domains; administrators themselves keep their password)."""
    domains = required_domains()
    if not domains:
        return None
    user = find_account(login)
    if user is None or user.is_admin or not user.email:
        return None
    return user if user.email.rpartition("@")[2].lower() in domains else None
