"""Organizations, memberships and invitations.

Every relationship is lazy="raise": a page or service that reads one without loading it in its
query (selectinload, joinedload, contains_eager) fails in the tests, instead of quietly running
one query per row.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, utcnow
from app.models.user import User, name_key


class Role(StrEnum):
    OWNER = "owner"
    MAINTAINER = "maintainer"
    SUPERVISOR = "supervisor"
    WORKER = "worker"


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    location: Mapped[str | None] = mapped_column(String(100))
    # RESTRICT: a user who owns an organization cannot be deleted until it is handed on.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The provisioning client's own name for the organization (SCIM externalId of a Group).
    scim_external_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The owner requires a second factor of every member (SPEC §10).
    require_2fa: Mapped[bool] = mapped_column(default=False, server_default=false())

    owner: Mapped[User] = relationship(lazy="raise")


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.WORKER)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")


class Invitation(Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(lazy="raise")
    invited_by: Mapped[User | None] = relationship(lazy="raise")

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(
        cls, org: Organization, email: str, role: Role, invited_by: User | None, days: int
    ) -> tuple[Invitation, str]:
        """A new invitation and its token; only the token's SHA-256 is kept."""
        invitation = cls(
            organization=org,
            email=email,
            email_key=name_key(email),
            role=role,
            invited_by=invited_by,
        )
        return invitation, invitation.renew(days)

    def renew(self, days: int) -> str:
        """A fresh token and lifetime; the previous token stops working."""
        token = secrets.token_urlsafe(32)  # 256 bits
        self.token_hash = self.digest(token)
        self.expires_at = utcnow() + timedelta(days=days)
        return token

    def is_pending(self, now: datetime | None = None) -> bool:
        return (
            self.accepted_at is None
            and self.declined_at is None
            and self.expires_at > (now or utcnow())
        )
