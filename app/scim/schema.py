"""What /scim/v2 publishes: the User and Group attributes Gatehouse keeps, and its capabilities.

The schemas are RFC 7643's User and Group cut down to what our models hold, so that a client
(and scim2-tester) is never told an attribute is kept when it would be dropped:
- User: userName, displayName, active and one email (`emails[].value`). displayName and active
  are required because every account has both; `name`, phone numbers, addresses and the rest of
  RFC 7643 §4.1 are not kept, and a payload carrying them has them ignored (the policy below),
  as identity providers send them whatever the schema says.
- Group: an organization; displayName is its name, members its people other than its owner (the
  owner is managed in Gatehouse, by transfer, never by the provisioning client).
- externalId on both (migration 0012).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    Returned,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

MAX_RESULTS = 200  # a page of users; the same bound as the JSON API's pages


class Email(ComplexAttribute):
    value: str | None = None
    """The account's email address; an account has at most one."""

    # Microsoft Entra ID writes the address as `emails[type eq "work"].value`: the one address
    # is the work one. Returned only when asked for, so that what a client wrote reads back.
    type: Annotated[str | None, Mutability.read_only, Returned.request] = Field(
        None, examples=["work"]
    )


class User(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The username: 3–50 letters, digits, dots, underscores or hyphens, unique without case."""

    display_name: Annotated[str | None, Required.true] = None
    """The name shown for the person, at most 100 characters."""

    active: Annotated[bool | None, Required.true] = None
    """False for a disabled account: it cannot sign in, its sessions and tokens ended."""

    emails: list[Email] | None = None
    """The account's email address, as a list of at most one."""

    Emails: ClassVar[type[ComplexAttribute]] = Email


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The id of the member's User."""

    ref: Annotated[Reference[User] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The member's User, as a URL."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always "User": organizations do not nest."""


class Group(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    """The organization's name, at most 100 characters."""

    members: list[GroupMember] | None = None
    """The organization's members other than its owner."""

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=True),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="A Gatehouse token (gth_…) with the scope scim, from an administrator.",
            primary=True,
        )
    ],
)

# Attributes we do not keep are dropped rather than refused: identity providers send the whole
# RFC 7643 User (name.givenName, phoneNumbers…) whatever /Schemas says.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,  # Entra, for a first address
)


def provider() -> ScimProvider:
    return ScimProvider(models=[User, Group], config=CONFIG, policy=POLICY)
