"""The scim2-server storage over our models: Users are accounts (app/scim/users.py), Groups are
organizations (app/scim/groups.py).

Every write acts as the administrator behind the request's token (bearer.Caller.user: the
token's owner, or for a service token the administrator who made it), through the same services,
permissions, limits and audit log as the admin and organization pages. The storage never
commits: the view commits the request's transaction once the response is a success.
"""

from __future__ import annotations

from typing import Any

from scim2_models import (
    NotImplementedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
)
from scim2_server.storage import ScimStorage, SearchPage

from app.api import bearer
from app.models import User
from app.scim import groups, users
from app.transactions import is_write_transaction


def _actor() -> User:
    return bearer.authenticate().user  # looked up once per request, before the storage runs


def _kind(resource_type: ResourceType) -> str:
    if resource_type.name not in ("User", "Group"):
        raise NotImplementedException(detail=f"{resource_type.name} is not served here.")
    return str(resource_type.name)


class GatehouseStorage(ScimStorage):
    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        # A PUT or PATCH reads the resource before it writes it: lock its row then, so that a
        # second change of the same resource waits and applies to what the first left.
        lock = is_write_transaction()
        if _kind(resource_type) == "User":
            return users.to_scim(users.find(resource_id, lock=lock))
        return groups.get(resource_id, lock=lock)

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        if len(resource_types) != 1:
            raise NotImplementedException(detail="Search /Users or /Groups, one at a time.")
        module = users if _kind(resource_types[0]) == "User" else groups
        total, found = module.search(search_request)
        return SearchPage(total, list(found))

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if _kind(resource_type) == "User":
            return users.create(_actor(), resource)  # type: ignore[arg-type]
        return groups.create(_actor(), resource)  # type: ignore[arg-type]

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        if _kind(resource_type) == "User":
            return users.update(_actor(), resource, expected_version)  # type: ignore[arg-type]
        return groups.update(_actor(), resource, expected_version)  # type: ignore[arg-type]

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        if _kind(resource_type) == "User":
            users.delete(_actor(), resource_id, expected_version)
        else:
            groups.delete(_actor(), resource_id, expected_version)
