from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, utcnow
from app.models.user import User

# The scopes a token may carry (SPEC §9); `admin` and `scim` only from an administrator.
SCOPES = ("read:users", "write:users", "read:orgs", "write:orgs", "admin", "scim")
ADMIN_SCOPES = frozenset({"admin", "scim"})
PREFIX = "gth_"


class ApiToken(Model):
    """A bearer token for the API: a person's, or a service's (no user) made by an admin.

    Only the SHA-256 of the token is kept, with its first characters to recognise it in lists.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
