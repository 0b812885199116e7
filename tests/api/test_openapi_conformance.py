"""Schemathesis against /api/v1/openapi.json, in process (SPEC §9): requests generated from the
document, as an administrator's token and as a plain person's, must never get a 5xx and every
answer must match what the document says (status, content type, headers, body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import bearer

EXAMPLES = 30
# Every check runs but one: a request the document allows may still break a rule (a taken name,
# deleting one's own account, the last administrator), which is a 4xx problem by design.
NOT_APPLICABLE = [positive_data_acceptance]


@pytest.fixture
def app_overrides() -> dict:
    return {"API_RATE_LIMIT": "1000000 per minute"}  # the limit has its own test


@pytest.fixture
def api_schema(app):
    def own_context(environ, start_response):
        # Each request gets an app context (and `g`) of its own, as under gunicorn; pushed
        # inside the test's context, Flask would share the test's one (tests/formclient.py).
        with app.app_context():
            return app(environ, start_response)

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", own_context)


schema = schemathesis.pytest.from_fixture("api_schema")


def token_of(make_user, make_token, make_org, is_admin: bool) -> str:
    """A token with every scope its holder may have, and a few rows to find."""
    me = make_user(username="caller", is_admin=is_admin)
    other = make_user(username="other")
    make_org(me, slug="acme", members={other: "worker"})
    scopes = ("read:users", "write:users", "read:orgs", "write:orgs")
    return make_token(me, *scopes, *(("admin",) if is_admin else ()))


@pytest.fixture
def administrator(make_user, make_token, make_org) -> str:
    return token_of(make_user, make_token, make_org, is_admin=True)


@pytest.fixture
def person(make_user, make_token, make_org) -> str:
    return token_of(make_user, make_token, make_org, is_admin=False)


CHECKED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@schema.parametrize()
@CHECKED
def test_every_answer_to_an_administrator_conforms(case, administrator):
    case.call_and_validate(headers=bearer(administrator), excluded_checks=NOT_APPLICABLE)


@schema.parametrize()
@CHECKED
def test_every_answer_to_a_person_conforms(case, person):
    case.call_and_validate(headers=bearer(person), excluded_checks=NOT_APPLICABLE)
