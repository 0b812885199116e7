"""Every model, imported so the metadata (and Alembic) sees all tables."""

from app.models.audit import AuditEvent, DailyStat
from app.models.billing import BillingCustomer, StripeEvent, Subscription
from app.models.factor import Passkey, RecoveryCode, RememberedDevice
from app.models.identity import FederatedIdentity, SsoRequest, UsedAssertion
from app.models.organization import Invitation, Membership, Organization, Role
from app.models.outbox import OutboxMessage
from app.models.project import Project, ProjectAssignee
from app.models.recovery_link import RecoveryLink
from app.models.row_count import RowCount
from app.models.session import UserSession
from app.models.setting import Setting
from app.models.token import ApiToken
from app.models.user import User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "BillingCustomer",
    "DailyStat",
    "FederatedIdentity",
    "Invitation",
    "Membership",
    "Organization",
    "OutboxMessage",
    "Passkey",
    "Project",
    "ProjectAssignee",
    "RecoveryCode",
    "RecoveryLink",
    "RememberedDevice",
    "Role",
    "RowCount",
    "Setting",
    "SsoRequest",
    "StripeEvent",
    "Subscription",
    "UsedAssertion",
    "User",
    "UserSession",
]
