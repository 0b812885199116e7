"""Who a plan belongs to: a person's own workspace or an organization.

Two small classes rather than one with two optional fields, so the type checker knows which
one a caller holds (`isinstance(workspace, OrgWorkspace)`) and neither has a missing half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, select

from app.extensions import db
from app.models import Organization, User


@dataclass(frozen=True)
class PersonalWorkspace:
    user: User
    kind: ClassVar[str] = "user"
    org: ClassVar[None] = None  # templates ask `workspace.org` of either kind

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def label(self) -> str:
        return f"{self.user.display_name} (personal)"

    @property
    def billing_email(self) -> str | None:
        return self.user.email

    def where(self, model: Any) -> ColumnElement[bool]:
        return model.user_id == self.user.id

    def owner_fields(self) -> dict[str, int | None]:
        return {"organization_id": None, "user_id": self.user.id}

    def audit_target(self) -> dict[str, Any]:
        return {"target_user": self.user}

    @property
    def reference(self) -> str:
        return f"{self.kind}_{self.id}"

    @property
    def metadata(self) -> dict[str, str]:
        return {"workspace_kind": self.kind, "workspace_id": str(self.id)}


@dataclass(frozen=True)
class OrgWorkspace:
    org: Organization
    kind: ClassVar[str] = "org"

    @property
    def id(self) -> int:
        return self.org.id

    @property
    def label(self) -> str:
        return self.org.name

    @property
    def billing_email(self) -> str | None:
        if self.org.email:
            return self.org.email
        return db.session.scalar(select(User.email).where(User.id == self.org.owner_id))

    def where(self, model: Any) -> ColumnElement[bool]:
        return model.organization_id == self.org.id

    def owner_fields(self) -> dict[str, int | None]:
        return {"organization_id": self.org.id, "user_id": None}

    def audit_target(self) -> dict[str, Any]:
        return {"org": self.org, "target": self.org.slug}

    @property
    def reference(self) -> str:
        return f"{self.kind}_{self.id}"

    @property
    def metadata(self) -> dict[str, str]:
        return {"workspace_kind": self.kind, "workspace_id": str(self.id)}


Workspace = PersonalWorkspace | OrgWorkspace
