"""Plan limits (SPEC §7): how much a workspace may hold, and the checks services call.

The plan in force comes from app.billing.plans (for_user / for_org → PlanState); this module
turns it into numbers from the admin settings and refuses what goes beyond them. Nothing here
deletes or hides anything: over a limit (after a downgrade or during a grace period) existing
data stays, only new members, invitations, projects and organizations are refused.

The `require_*` functions lock the row the count belongs to (SELECT … FOR UPDATE on PostgreSQL)
and count inside the caller's transaction, so two requests cannot both take the last place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app import settings
from app.billing import plans
from app.errors import LimitReached
from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Project, User

PLAN_NAMES = {"free": "Free", "solo": "Solo", "team": "Team"}


@dataclass(frozen=True)
class Limit:
    """The most a workspace may hold of one thing under the plan in force; None = no limit."""

    maximum: int | None
    plan: str  # "free" | "solo" | "team": the plan whose limit this is
    remedy: str  # what lifts it, shown to the person
    in_grace: bool = False

    @property
    def plan_name(self) -> str:
        return PLAN_NAMES.get(self.plan, self.plan.title())

    def allows(self, count: int) -> bool:
        return self.maximum is None or count <= self.maximum


def _remedy(state: plans.PlanState, upgrade: str) -> str:
    if state.in_grace:
        return "The paid plan has lapsed; renew it to lift the Free limits again."
    return upgrade


# The numbers ------------------------------------------------------------------------------


def personal_projects(user: User) -> Limit:
    state = plans.for_user(user)
    if state.plan == "solo":
        return Limit(None, "solo", "")
    return Limit(
        settings.get("free_personal_projects"),
        "free",
        _remedy(state, "Upgrade to Solo for unlimited personal projects."),
        state.in_grace,
    )


def owned_orgs(user: User) -> Limit:
    state = plans.for_user(user)
    if state.plan == "solo":
        return Limit(None, "solo", "")
    return Limit(
        settings.get("free_owned_orgs"),
        "free",
        _remedy(state, "Upgrade to Solo to own more organizations."),
        state.in_grace,
    )


def org_members(org: Organization) -> Limit:
    """Members plus pending invitations."""
    state = plans.for_org(org)
    if state.plan == "team":
        return Limit(state.seats or 1, "team", "The owner can add seats to the Team plan.")
    grace = state.in_grace
    owner = db.session.get_one(User, org.owner_id)  # explicit: relationships are lazy="raise"
    if plans.for_user(owner).plan == "solo":
        return Limit(
            settings.get("solo_org_members"),
            "solo",
            _remedy(state, "Upgrade the organization to Team to add more."),
            grace,
        )
    return Limit(
        settings.get("free_org_members"),
        "free",
        _remedy(state, "Upgrade to Team to add more."),
        grace,
    )


def org_projects(org: Organization) -> Limit:
    state = plans.for_org(org)
    if state.plan == "team":
        return Limit(None, "team", "")
    return Limit(
        settings.get("free_org_projects"),
        "free",
        _remedy(state, "Upgrade to Team for unlimited projects."),
        state.in_grace,
    )


# Counts -----------------------------------------------------------------------------------


def member_count(org: Organization) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
        )
        or 0
    )


def pending_invitation_count(org: Organization) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.organization_id == org.id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
        or 0
    )


def seats_used(org: Organization) -> int:
    return member_count(org) + pending_invitation_count(org)


def org_project_count(org: Organization) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Project).where(Project.organization_id == org.id)
        )
        or 0
    )


def personal_project_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Project).where(Project.personal_owner_id == user.id)
        )
        or 0
    )


def owned_org_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.owner_id == user.id)
        )
        or 0
    )


# Checks -----------------------------------------------------------------------------------


def lock_org(org: Organization) -> Organization:
    """Hold the organization's row until the transaction ends (a no-op on SQLite)."""
    return db.session.scalars(
        select(Organization)
        .where(Organization.id == org.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_user(user: User) -> User:
    return db.session.scalars(
        select(User)
        .where(User.id == user.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _members_message(org: Organization, limit: Limit) -> str:
    if limit.plan == "team":
        return (
            f"This organization uses all {limit.maximum} of its Team seats (pending "
            f"invitations count). {limit.remedy}"
        )
    return (
        f"This organization has reached the {limit.plan_name} plan's {limit.maximum} "
        f"members (pending invitations count). {limit.remedy}"
    )


def require_invitation_seat(org: Organization) -> None:
    """Before inviting: members + pending invitations + this one must fit."""
    lock_org(org)
    limit = org_members(org)
    if not limit.allows(seats_used(org) + 1):
        raise LimitReached(_members_message(org, limit))


def require_member_seat(org: Organization) -> None:
    """Before accepting an invitation: the accepted one held its place, so count members only.

    This matters when the limit fell after invitations went out (fewer seats, a lapsed plan).
    """
    lock_org(org)
    limit = org_members(org)
    if not limit.allows(member_count(org) + 1):
        raise LimitReached(_members_message(org, limit))


def require_project_slot(*, org: Organization | None = None, user: User | None = None) -> None:
    """Before a project is created in (or moved into) an organization or a personal workspace."""
    if org is not None:
        lock_org(org)
        limit = org_projects(org)
        if not limit.allows(org_project_count(org) + 1):
            raise LimitReached(
                f"This organization has reached the {limit.plan_name} plan's "
                f"{limit.maximum} projects. {limit.remedy}"
            )
        return
    assert user is not None
    lock_user(user)
    limit = personal_projects(user)
    if not limit.allows(personal_project_count(user) + 1):
        raise LimitReached(
            f"Your personal workspace has reached the {limit.plan_name} plan's "
            f"{limit.maximum} projects. {limit.remedy}"
        )


def require_owned_org_slot(user: User, *, yourself: bool = True) -> None:
    """Before a person becomes owner of one more organization (creating it or taking it over)."""
    lock_user(user)
    limit = owned_orgs(user)
    if not limit.allows(owned_org_count(user) + 1):
        noun = "organization" if limit.maximum == 1 else "organizations"
        who = "You already own" if yourself else f"{user.display_name} already owns"
        raise LimitReached(
            f"{who} {limit.maximum} {noun}, the most the {limit.plan_name} "
            f"plan allows. {limit.remedy}"
        )
