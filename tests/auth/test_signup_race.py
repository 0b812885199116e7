"""Two sign-ups for the same username, or the same email, at the same moment.

One account is made; the other person gets the form back with the reason next to the field that
clashed (not a guess from the message's wording), and no 500. `blind_check` makes the
uniqueness check see nothing, so the unique constraint is certain to be what decides.
"""

from __future__ import annotations

import pytest

from app.auth import services
from tests.auth.helpers import signup_data, user_count
from tests.auth.test_signup import field_error
from tests.concurrency import simultaneously


@pytest.mark.parametrize("blind_check", [True, False], ids=["check-passed", "real-check"])
@pytest.mark.parametrize(
    ("clash", "forms"),
    [
        (
            "username",
            [
                signup_data(username="ada", email="ada@example.com"),
                signup_data(username="ADA", email="lovelace@example.com"),
            ],
        ),
        (
            "email",
            [
                signup_data(username="ada", email="ada@example.com"),
                signup_data(username="lovelace", email="Ada@Example.com"),
            ],
        ),
    ],
)
def test_simultaneous_sign_ups_with_one_name(app, monkeypatch, blind_check, clash, forms):
    if blind_check:
        monkeypatch.setattr(services, "name_taken", lambda *_a, **_k: None)
    prepared = []
    for data in forms:
        client = app.test_client()
        prepared.append((client, {**data, "csrf_token": client.csrf_token("/signup")}))

    def sign_up(client, data):
        def call():
            response = client.post("/signup", data=data)
            return response.status_code, response.get_data(as_text=True)

        return call

    results = simultaneously([sign_up(*pair) for pair in prepared])

    statuses = sorted(status for status, _ in results)
    assert statuses[0] == 303 and statuses[1] in (409, 422), statuses
    loser = next(html for status, html in results if status != 303)
    assert "already" in field_error(loser, clash)
    other = "email" if clash == "username" else "username"
    assert field_error(loser, other) == ""
    assert user_count() == 1
