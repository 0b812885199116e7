"""The per-token rate limit of the API (SPEC §9)."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_overrides() -> dict:
    return {"API_RATE_LIMIT": "3 per minute"}


def test_a_token_over_its_allowance_gets_429_problem_details(make_user, make_token, api):
    alice = make_user(username="alice")
    token, other = make_token(alice, "read:users"), make_token(alice, "read:users")
    answers = [api("GET", "/api/v1/me", token) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.content_type == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61  # the window, rounded up
    assert answers[2].headers["RateLimit"].startswith('"per-token";r=0;')
    assert api("GET", "/api/v1/me", other).status_code == 200  # each token its own allowance
