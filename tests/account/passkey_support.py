"""What the passkey tests without a browser share: a client that asks for options and answers
them with a SoftAuthenticator, and Alice, with or without a passkey."""

from __future__ import annotations

import json

import pytest

from app.auth import factors
from app.extensions import db
from app.models import Passkey
from tests.account.soft_authenticator import SoftAuthenticator

ORIGIN = "http://gatehouse.example.com"  # conftest's BASE_URL


@pytest.fixture
def notices(monkeypatch) -> list[str]:
    sent: list[str] = []
    monkeypatch.setattr("app.mail.notify_security_change", lambda user, what: sent.append(what))
    return sent


def options(client, url: str, token: str) -> dict:
    response = client.post(url, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def add_passkey(client, key: SoftAuthenticator, name: str = "", **how):
    token = client.csrf_token("/account/security")
    found = options(client, "/account/security/passkeys/options", token)
    credential = key.register(found, how.pop("origin", ORIGIN), **how)
    data = {"csrf_token": token, "name": name, "credential": credential}
    return client.post("/account/security/passkeys", data=data)


def passkey_sign_in(client, key: SoftAuthenticator, **how):
    token = client.csrf_token("/login")
    found = options(client, "/login/passkey/options", token)
    credential = key.assertion(found, how.pop("origin", ORIGIN), **how)
    return client.post("/login/passkey", data={"csrf_token": token, "credential": credential})


def signed_in(client) -> bool:
    return client.get("/account/security").status_code == 200


def passkeys_of(user) -> list[Passkey]:
    db.session.expire_all()
    return factors.passkeys_of(user)


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def enrolled(client, alice, login_as, notices):
    """Alice with one passkey, signed out again; returns her authenticator."""
    login_as(alice)
    key = SoftAuthenticator()
    assert add_passkey(client, key, "Laptop").status_code == 200  # recovery codes shown once
    client.submit("/logout", page="/account/sessions")
    assert not signed_in(client)
    return key


def found_id(key: SoftAuthenticator) -> str:
    return json.loads(key.assertion({"challenge": "AA", "rpId": "x"}, ORIGIN))["id"]
