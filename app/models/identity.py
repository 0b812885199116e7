from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, utcnow
from app.models.user import User


class FederatedIdentity(Model):
    """A person's account at an identity provider, keyed on the provider's stable subject
    (OIDC `sub`, SAML mapped `uid`), never on an address or a transient NameID."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SsoRequest(Model):
    """A sign-in sent to an identity provider and not answered yet: a SAML AuthnRequest's id
    (its response comes back by a cross-site POST, without our cookie) with where to go after.
    Single use; expired rows are swept."""

    __tablename__ = "sso_requests"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    next_path: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedAssertion(Model):
    """A SAML assertion id already accepted, kept until the assertion itself expires, so that
    each is accepted once (a replayed response is refused)."""

    __tablename__ = "used_assertions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
