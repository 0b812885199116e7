"""SCIM Groups ⇄ organizations, through the organizations' services (app/orgs).

A group a client creates is an organization owned by the administrator whose token acts (every
organization has an owner, and the plan limits of owned organizations apply to them); its
short name comes from displayName. `members` are the members other than the owner, who is
Gatehouse's business (transfer of ownership), not the client's: a client sending the owner
among the members changes nothing, and a client leaving them out removes nobody. Members it
adds join as workers; removing one is the page's "Remove member", with the same rights.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidValueException,
    Meta,
    NotFoundException,
    Reference,
    SearchRequest,
)
from sqlalchemy import exists, false, func, select

from app.api.common import checked
from app.extensions import db
from app.models import Membership, Organization, User
from app.orgs import services as orgs
from app.orgs.forms import RESERVED_SLUGS, NewOrgForm, OrgDetailsForm, suggest_slug
from app.scim import filters, schema
from app.scim.filters import Column, Op
from app.scim.refusals import as_scim, check_version, version_of

NOT_OWNER = Membership.user_id != Organization.owner_id
USER_REF = Reference[schema.User]  # relative to /scim/v2: the server makes it a URL


def _member(op: Op, value: Any):
    """`members.value eq "12"`: the organization has the user 12 among its members."""
    if value is None:  # `members pr`
        return exists().where(Membership.organization_id == Organization.id, NOT_OWNER)
    if op != Op.eq or not isinstance(value, str):
        raise InvalidFilterException(detail="members is compared with eq only.")
    if not value.isdigit() or len(value) >= 19:
        return false()
    return exists().where(
        Membership.organization_id == Organization.id,
        Membership.user_id == int(value),
        NOT_OWNER,
    )


COLUMNS = {
    "id": Column(Organization.id, kind="id"),
    "displayname": Column(Organization.name),
    "externalid": Column(Organization.scim_external_id, case_exact=True, nullable=True),
    "members.value": Column(Membership.user_id, condition=_member),
    "meta.created": Column(Organization.created_at, kind="datetime"),
    "meta.lastmodified": Column(Organization.created_at, kind="datetime"),
}


def _members_of(orgs_: list[Organization]) -> dict[int, list[int]]:
    """Each organization's members but its owner, in one query for a whole page."""
    found: dict[int, list[int]] = defaultdict(list)
    if not orgs_:
        return found
    rows = db.session.execute(
        select(Membership.organization_id, Membership.user_id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.organization_id.in_([o.id for o in orgs_]), NOT_OWNER)
        .order_by(Membership.organization_id, Membership.user_id)
    )
    for org_id, user_id in rows:
        found[org_id].append(user_id)
    return found


def to_scim(org: Organization, member_ids: list[int]) -> schema.Group:
    members = [
        schema.GroupMember(value=str(user_id), ref=USER_REF(f"Users/{user_id}"), type="User")
        for user_id in member_ids
    ]
    resource = schema.Group(
        id=str(org.id),
        external_id=org.scim_external_id,
        display_name=org.name,
        members=members or None,
    )
    resource.meta = Meta(
        resource_type="Group",
        created=org.created_at,
        last_modified=org.created_at,
        version=version_of(resource),
    )
    return resource


def find(resource_id: str | None, *, lock: bool = False) -> Organization:
    org = None
    if resource_id and resource_id.isdigit() and len(resource_id) < 19:
        query = select(Organization).where(Organization.id == int(resource_id))
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        org = db.session.scalar(query)
    if org is None:
        raise NotFoundException(detail=f"There is no group {resource_id}.")
    return org


def get(resource_id: str, *, lock: bool = False) -> schema.Group:
    org = find(resource_id, lock=lock)
    return to_scim(org, _members_of([org])[org.id])


def search(request: SearchRequest[Any]) -> tuple[int, list[schema.Group]]:
    where = filters.condition(request.filter.ast if request.filter else None, COLUMNS)
    total = db.session.scalar(select(func.count()).select_from(Organization).where(where)) or 0
    count = schema.MAX_RESULTS if request.count is None else request.count
    if count == 0:
        return total, []
    query = select(Organization).where(where).order_by(Organization.id)
    page = list(db.session.scalars(query.offset(request.start_index_0 or 0).limit(count)))
    members = _members_of(page)
    return total, [to_scim(org, members[org.id]) for org in page]


def _free_slug(name: str) -> str:
    """The page's suggestion from the name, with a number added when it is taken."""
    base = suggest_slug(name)[:36].rstrip("-") or "group"
    if len(base) < 3:
        base = f"{base}-group"
    like = select(Organization.slug).where(Organization.slug.like(f"{base}%"))
    taken = set(db.session.scalars(like)) | RESERVED_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _wanted_members(resource: schema.Group) -> set[int]:
    ids = {m.value for m in resource.members or []}
    if any(not (v and v.isdigit() and len(v) < 19) for v in ids):
        raise InvalidValueException(detail="A member is a User, named by its id.")
    wanted = {int(v) for v in ids if v}
    known = set(db.session.scalars(select(User.id).where(User.id.in_(wanted)))) if wanted else set()
    if wanted - known:
        raise InvalidValueException(detail=f"There is no user {min(wanted - known)}.")
    return wanted


def _set_members(actor: User, org: Organization, wanted: set[int]) -> None:
    current = set(_members_of([org])[org.id])
    for user_id in sorted(current - wanted):
        orgs.remove_member(org, actor, user_id)
    new = sorted(wanted - current - {org.owner_id})
    for user in db.session.scalars(select(User).where(User.id.in_(new)).order_by(User.id)):
        orgs.add_member(org, actor, user)


def create(actor: User, resource: schema.Group) -> schema.Group:
    wanted = _wanted_members(resource)
    with as_scim():
        name = resource.display_name or ""
        form = checked(NewOrgForm, {"name": name, "slug": _free_slug(name)})
        org = orgs.create(actor, form.slug.data, orgs.OrgDetails(name=form.name.data))
        org.scim_external_id = resource.external_id
        _set_members(actor, org, wanted)
    return get(str(org.id))


def update(actor: User, resource: schema.Group, expected_version: str | None) -> schema.Group:
    org = find(resource.id, lock=True)
    check_version(to_scim(org, _members_of([org])[org.id]), expected_version)
    wanted = _wanted_members(resource)
    with as_scim():
        if resource.display_name != org.name:
            values = {k: getattr(org, k) for k in ("description", "email", "phone", "location")}
            form = checked(OrgDetailsForm, {**values, "name": resource.display_name})
            details = orgs.OrgDetails(name=form.name.data, **values)
            orgs.update(org, actor, details)
        org.scim_external_id = resource.external_id
        _set_members(actor, org, wanted)
    return get(str(org.id))


def delete(actor: User, resource_id: str, expected_version: str | None) -> None:
    org = find(resource_id, lock=True)
    check_version(to_scim(org, _members_of([org])[org.id]), expected_version)
    with as_scim():
        orgs.delete_org(org, actor, org.slug)
