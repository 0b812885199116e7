"""Organizations, memberships and invitations: the rules of SPEC §5 and the writes.

Plain arguments in, a model or a DomainError out; the caller commits (one use case, one
transaction) and never these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import contains_eager, joinedload

from app import audit, integrity, limits, mail, settings
from app.auth import enforcement, sessions
from app.billing import plans
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.extensions import db, utcnow
from app.models import Invitation, Membership, Organization, Project, ProjectAssignee, Role, User
from app.models.user import name_key
from app.orgs import workspace
from app.permissions import Action, require


@dataclass
class OrgDetails:
    name: str
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    location: str | None = None


def slug_taken(slug: str) -> bool:
    return (
        db.session.scalar(select(Organization.id).where(Organization.slug == slug.lower()))
        is not None
    )


def create(owner: User, slug: str, details: OrgDetails) -> Organization:
    slug = slug.lower()
    limits.require_owned_org_slot(owner)
    if slug_taken(slug):
        raise integrity.taken("uq_organizations_slug")
    org = Organization(slug=slug, owner_id=owner.id, **vars(details))
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
    audit.record("org.created", owner, org=org, target=slug)
    return org


def update(org: Organization, actor: User, details: OrgDetails) -> None:
    require(actor, org, Action.EDIT_ORG)
    for key, value in vars(details).items():
        setattr(org, key, value)
    audit.record("org.updated", actor, org=org, target=org.slug)


def set_require_2fa(org: Organization, actor: User, required: bool) -> bool:
    """The owner requires (or no longer requires) a second factor of every member; members
    without one get the grace period. Returns whether anything changed."""
    require(actor, org, Action.REQUIRE_2FA)
    if org.require_2fa == required:
        return False
    org.require_2fa = required
    if required:
        enforcement.members_now_required(org)
    audit.record("org.require_2fa", actor, org=org, target=org.slug, detail=str(required).lower())
    return True


def _membership(org: Organization, user_id: int) -> Membership:
    found = db.session.scalar(
        select(Membership)
        .where(Membership.organization_id == org.id, Membership.user_id == user_id)
        .options(joinedload(Membership.user, innerjoin=True))
    )
    if found is None:
        raise NotFound("Not found.")
    return found


def _drop_member(org: Organization, membership: Membership) -> None:
    """Remove a membership with what hangs on it: project assignments, workspace choices."""
    project_ids = select(Project.id).where(Project.organization_id == org.id)
    db.session.execute(
        delete(ProjectAssignee)
        .where(
            ProjectAssignee.user_id == membership.user_id,
            ProjectAssignee.project_id.in_(project_ids),
        )
        .execution_options(synchronize_session=False)
    )
    workspace.forget(org, membership.user)
    sessions.privileges_changed(membership.user)
    db.session.delete(membership)


def change_role(org: Organization, actor: User, user_id: int, new_role: Role) -> Membership:
    limits.lock_org(org)  # roles are read after the lock: see transfer
    if user_id == actor.id:
        require(actor, org, Action.VIEW_ORG)
        raise Forbidden("You cannot change your own role.")
    target = _membership(org, user_id)
    current = Role(target.role)
    require(actor, org, Action.CHANGE_ROLE, target_role=current)
    require(actor, org, Action.CHANGE_ROLE, target_role=new_role)
    if current != new_role:
        target.role = new_role
        sessions.privileges_changed(target.user)
        audit.record(
            "org.role_changed",
            actor,
            target_user=target.user,
            org=org,
            detail=f"{current} -> {new_role}",
        )
    return target


def remove_member(org: Organization, actor: User, user_id: int) -> User:
    limits.lock_org(org)
    if user_id == actor.id:
        require(actor, org, Action.VIEW_ORG)
        raise Forbidden("Use “Leave” to leave an organization yourself.")
    target = _membership(org, user_id)
    require(actor, org, Action.REMOVE_MEMBER, target_role=Role(target.role))
    user = target.user
    _drop_member(org, target)
    audit.record("org.member_removed", actor, target_user=user, org=org, detail=target.role)
    return user


def add_member(org: Organization, actor: User, user: User, role: Role = Role.WORKER) -> bool:
    """Make `user` a member at once, as a provisioning client does: an invitation the person
    has no say in, so it takes the right to invite and a member's seat. False if already one."""
    limits.lock_org(org)
    require(actor, org, Action.INVITE, target_role=role)
    already = db.session.scalar(
        select(Membership.id).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if already is not None:
        return False
    limits.require_member_seat(org)
    db.session.add(Membership(organization_id=org.id, user_id=user.id, role=role))
    sessions.privileges_changed(user)
    enforcement.joined(user, org)
    audit.record("org.member_added", actor, target_user=user, org=org, detail=role)
    return True


def leave(org: Organization, actor: User) -> None:
    limits.lock_org(org)
    role = require(actor, org, Action.VIEW_ORG)
    if role is Role.OWNER:
        raise Forbidden(
            "The owner cannot leave. Transfer ownership to a maintainer or delete "
            "the organization first."
        )
    require(actor, org, Action.LEAVE)
    _drop_member(org, _membership(org, actor.id))
    audit.record("org.member_left", actor, target_user=actor, org=org)


def transfer(org: Organization, actor: User, new_owner_id: int, confirm_slug: str) -> User:
    # The organization's row first: a second transfer (or role change) waits here, then reads
    # the roles the first one left, so there is never more than one owner.
    limits.lock_org(org)
    require(actor, org, Action.TRANSFER_OWNERSHIP)
    if confirm_slug.strip().lower() != org.slug:
        raise DomainError("The short name you typed does not match; nothing was changed.")
    target = db.session.scalar(
        select(Membership)
        .where(Membership.organization_id == org.id, Membership.user_id == new_owner_id)
        .options(joinedload(Membership.user, innerjoin=True))
    )
    if target is None or target.role != Role.MAINTAINER:
        raise DomainError("Ownership can only go to a maintainer of this organization.")
    limits.require_owned_org_slot(target.user, yourself=False)
    old = _membership(org, actor.id)
    old.role = Role.MAINTAINER
    target.role = Role.OWNER
    org.owner_id = target.user_id
    sessions.privileges_changed(old.user, target.user)
    audit.record("org.ownership_transferred", actor, target_user=target.user, org=org)
    return target.user


def delete_org(org: Organization, actor: User, confirm_slug: str) -> None:
    """Memberships, invitations and projects go with it, in the caller's one transaction."""
    require(actor, org, Action.DELETE_ORG)
    if confirm_slug.strip().lower() != org.slug:
        raise DomainError("The short name you typed does not match; nothing was deleted.")
    plans.require_not_charging(org, what=org.name)
    audit.record("org.deleted", actor, target=org.slug, detail=org.name)
    workspace.forget(org)
    project_ids = select(Project.id).where(Project.organization_id == org.id)
    for statement in (
        delete(ProjectAssignee).where(ProjectAssignee.project_id.in_(project_ids)),
        delete(Project).where(Project.organization_id == org.id),
        delete(Invitation).where(Invitation.organization_id == org.id),
        delete(Membership).where(Membership.organization_id == org.id),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.delete(org)


# Invitations ------------------------------------------------------------------------------

# What an invitation's pages, mails and answers name (its relationships are lazy="raise").
_WITH_ORG = (joinedload(Invitation.organization), joinedload(Invitation.invited_by))

UNVERIFIED = (
    "Your email address is not verified yet, so invitations cannot be answered from this "
    "list. Open the link in the invitation email, or verify your address from your account "
    "page first."
)


def invite(org: Organization, actor: User, email: str, role: Role) -> tuple[Invitation, str]:
    require(actor, org, Action.INVITE, target_role=role)
    key = name_key(email)
    member = db.session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == org.id, User.email_key == key)
    )
    if member is not None:
        raise Conflict(f"{email} is already a member of this organization.")
    if any(
        i.is_pending()
        for i in db.session.scalars(
            select(Invitation).where(
                Invitation.organization_id == org.id, Invitation.email_key == key
            )
        )
    ):
        raise Conflict(f"{email} already has a pending invitation; resend it instead.")
    limits.require_invitation_seat(org)
    invitation, token = Invitation.issue(org, email, role, actor, settings.get("invitation_days"))
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.created", actor, org=org, target=email, detail=role)
    mail.send_invitation(invitation, org, actor, token)
    return invitation, token


def _org_invitation(org: Organization, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id, options=_WITH_ORG)
    if invitation is None or invitation.organization_id != org.id:
        raise NotFound("Not found.")
    return invitation


def resend(org: Organization, actor: User, invitation_id: int) -> tuple[Invitation, str]:
    invitation = _org_invitation(org, invitation_id)
    require(actor, org, Action.INVITE, target_role=Role(invitation.role))
    if invitation.accepted_at or invitation.declined_at:
        raise DomainError("That invitation was already answered; send a new one instead.")
    if invitation.expires_at <= utcnow():
        limits.require_invitation_seat(org)  # an expired one no longer held its place
    token = invitation.renew(settings.get("invitation_days"))
    audit.record("invitation.resent", actor, org=org, target=invitation.email)
    mail.send_invitation(invitation, org, actor, token)
    return invitation, token


def revoke(org: Organization, actor: User, invitation_id: int) -> Invitation:
    invitation = _org_invitation(org, invitation_id)
    require(actor, org, Action.INVITE, target_role=Role(invitation.role))
    audit.record("invitation.revoked", actor, org=org, target=invitation.email)
    db.session.delete(invitation)
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The invitation a token belongs to while it can still be answered, else None."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(
        select(Invitation)
        .where(Invitation.token_hash == Invitation.digest(token))
        .options(*_WITH_ORG)
    )
    return invitation if invitation is not None and invitation.is_pending() else None


def invitation_for(user: User, invitation_id: int) -> Invitation:
    """One of the user's own pending invitations, by id (from the /invitations list).

    Only a verified address may answer this way (SECURITY 30): anyone can type an invitee's
    address into a sign-up or profile form; the token link proves the mailbox instead.
    """
    invitation = db.session.get(Invitation, invitation_id, options=_WITH_ORG)
    if (
        invitation is None
        or not invitation.is_pending()
        or invitation.email_key != name_key(user.email or "")
    ):
        raise NotFound("That invitation is no longer open.")
    if not user.email_verified:
        raise Forbidden(UNVERIFIED)
    return invitation


def _check_invitee(invitation: Invitation | None, user: User) -> Invitation:
    if invitation is None or not invitation.is_pending():
        raise NotFound("That invitation is no longer open.")
    if not user.email or name_key(user.email) != invitation.email_key:
        raise Forbidden(
            f"This invitation was sent to {invitation.email}; sign in with the "
            "account that uses that address to answer it."
        )
    return invitation


def accept(invitation: Invitation | None, user: User) -> Organization:
    invitation = _check_invitee(invitation, user)
    org = invitation.organization
    limits.require_member_seat(org)  # locks the organization's row, then counts
    # Another request may have answered it while we waited for the lock.
    db.session.refresh(invitation)
    if not invitation.is_pending():
        raise NotFound("That invitation is no longer open.")
    already = db.session.scalar(
        select(Membership.id).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if already is not None:
        raise Conflict(f"You are already a member of {org.name}.")
    invitation.accepted_at = utcnow()
    db.session.add(Membership(organization_id=org.id, user_id=user.id, role=invitation.role))
    sessions.privileges_changed(user)
    enforcement.joined(user, org)
    audit.record("invitation.accepted", user, target_user=user, org=org, detail=invitation.role)
    return org


def decline(invitation: Invitation | None, user: User) -> Organization:
    invitation = _check_invitee(invitation, user)
    invitation.declined_at = utcnow()
    audit.record("invitation.declined", user, target_user=user, org=invitation.organization)
    return invitation.organization


def pending_for(user: User) -> list[Invitation]:
    if not user.email:
        return []
    return list(
        db.session.scalars(
            select(Invitation)
            .join(Invitation.organization)
            .options(contains_eager(Invitation.organization))
            .where(
                Invitation.email_key == name_key(user.email),
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def count_owned(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(Organization).where(Organization.owner_id == user.id)
        )
        or 0
    )
