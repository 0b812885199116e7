"""scim2-server's own checks of a storage (ScimStorageContract), run on ours with our schemas:
copies, versions, uniqueness, and every filter giving what scim2-models' evaluator gives (the
SQL translation of app/scim/filters.py against the reference). The checks of what we do not
announce (sorting, cursors, searching Users and Groups at once) skip themselves."""

from __future__ import annotations

from typing import Any

import pytest
from flask import g
from scim2_models import ScimFilter, ScimProvider
from scim2_server.testing import ScimStorageContract

from app.api.bearer import Caller
from app.extensions import db
from app.models import ApiToken
from app.scim import schema
from app.scim.storage import GatehouseStorage


class ContractStorage(GatehouseStorage):
    """The contract counts on an empty storage; ours always holds the administrator the writes
    act as, so its searches of Users leave that one account out (with a filter, which runs the
    same SQL translation)."""

    def __init__(self, hidden_id: int) -> None:
        self.hidden = f'not (id eq "{hidden_id}")'

    def search(self, resource_types, search_request, *, position=None):
        if [rt.name for rt in resource_types] == ["User"]:
            given = search_request.filter
            text = f"({given}) and {self.hidden}" if given else self.hidden
            bound = ScimFilter[schema.User](text)
            search_request = search_request.model_copy(update={"filter": bound})
        return super().search(resource_types, search_request, position=position)


# scim2-server's users cut to what we keep, with names our rules accept (no "%"), and still a
# "_" that a LIKE must not take as a wildcard.
USERS: list[dict[str, Any]] = [
    {
        "userName": "alice",
        "displayName": "Alice",
        "active": True,
        "emails": [{"value": "alice@work.example"}],
    },
    {"userName": "Bob", "active": False, "emails": [{"value": "bob@work.example"}]},
    {"userName": "carol", "externalId": "c-1"},
    {"userName": "dave_1", "emails": [{"value": "dave@home.example"}]},
    {"userName": "davex1"},
]


class TestGatehouseStorage(ScimStorageContract):
    supports_root_search = False

    @pytest.fixture
    def provider(self) -> ScimProvider:
        return schema.provider()

    @pytest.fixture
    def storage(self, app, admin, roomy_plans):
        token = ApiToken(name="contract", prefix="gth_contract", token_hash="0" * 64, scopes="scim")
        with app.test_request_context(method="POST"), self.provider_block():
            g.api_caller = Caller(token, admin)  # what bearer.authenticate() finds
            yield ContractStorage(admin.id)
            db.session.rollback()

    @staticmethod
    def provider_block():
        return schema.provider()

    def search_users(self) -> list[dict[str, Any]]:
        return USERS

    @pytest.mark.parametrize(
        "scim_filter",
        [
            'externalId eq "c-1"',
            'externalId eq "C-1"',
            "externalId pr",
            'displayName co "LIC"',
            'emails.value ew ".EXAMPLE"',
            "not (emails pr)",
            'active ne false and userName lt "c"',
            'userName ge "Bob" and not (userName eq "carol")',
            'emails[type eq "work" and value co "ALICE"]',
            'emails.type ne "home"',
        ],
    )
    def test_our_filters_as_the_filter_evaluator(
        self, storage, provider, user_type, user_model, scim_filter
    ):
        """The attributes the contract's own filters leave out, against the same evaluator."""
        self.test_search_filters_as_the_filter_evaluator(
            storage, provider, user_type, user_model, scim_filter
        )
