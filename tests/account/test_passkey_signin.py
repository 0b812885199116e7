"""Signing in with a passkey without a browser (SPEC §10): alone, and as the second factor
after a password; what is refused (no user verification, another origin or relying-party id, a
replayed challenge, a counter gone back, someone else's credential, a disabled account) and
what the audit log says about it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import RememberedDevice
from tests.account.passkey_support import (
    ORIGIN,
    add_passkey,
    found_id,
    options,
    passkey_sign_in,
    passkeys_of,
    signed_in,
)
from tests.account.soft_authenticator import SoftAuthenticator
from tests.auth.helpers import actions, login, reload
from tests.factories import PASSWORD


def test_a_passkey_alone_signs_in_and_keeps_the_counter(client, alice, enrolled):
    response = passkey_sign_in(client, enrolled)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert signed_in(client)
    passkey = passkeys_of(alice)[0]
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert actions("login.ok")[-1].detail == "passkey"
    assert reload(alice).last_login_at is not None


def test_the_options_for_a_passkey_alone_name_no_credential(client):
    found = options(client, "/login/passkey/options", client.csrf_token("/login"))
    assert found["allowCredentials"] == [] and found["userVerification"] == "required"
    assert found["rpId"] == "gatehouse.example.com"


def refused(response, client, detail: str) -> None:
    assert response.status_code == 401
    assert "could not be verified" in response.get_data(as_text=True)
    assert not signed_in(client)
    assert detail in (actions("login.failed")[-1].detail or "")


def test_a_counter_that_went_backwards_is_refused_as_a_possible_clone(client, alice, enrolled):
    passkey_sign_in(client, enrolled)  # counter 1
    client.submit("/logout", page="/account/sessions")
    passkey_sign_in(client, enrolled, counter=5)
    client.submit("/logout", page="/account/sessions")
    refused(passkey_sign_in(client, enrolled, counter=3), client, "cloned authenticator")
    assert passkeys_of(alice)[0].sign_count == 5


def test_an_authenticator_that_does_not_count_is_accepted(client, alice, enrolled):
    assert passkey_sign_in(client, enrolled, counter=0).status_code == 303
    assert passkeys_of(alice)[0].sign_count == 0


@pytest.mark.parametrize(
    "how, detail",
    [
        ({"verified": False}, "User verification is required"),
        ({"origin": "http://evil.example.org"}, "origin"),
        ({"rp_id": "evil.example.org"}, "RP ID"),
    ],
    ids=["no user verification", "wrong origin", "wrong rp id"],
)
def test_an_assertion_that_does_not_prove_it_is_refused(client, alice, enrolled, how, detail):
    refused(passkey_sign_in(client, enrolled, **how), client, detail)
    assert passkeys_of(alice)[0].sign_count == 0


def test_a_replayed_assertion_is_refused(client, alice, enrolled):
    token = client.csrf_token("/login")
    credential = enrolled.assertion(options(client, "/login/passkey/options", token), ORIGIN)
    data = {"csrf_token": token, "credential": credential}
    assert client.post("/login/passkey", data=data).status_code == 303
    client.submit("/logout", page="/account/sessions")
    token = client.csrf_token("/login")
    refused(client.post("/login/passkey", data={**data, "csrf_token": token}), client, "challenge")
    options(client, "/login/passkey/options", token)  # a new challenge does not revive it
    response = client.post("/login/passkey", data={**data, "csrf_token": token})
    refused(response, client, "challenge")


def test_an_unknown_passkey_and_a_disabled_account_are_refused(client, alice, enrolled):
    refused(passkey_sign_in(client, SoftAuthenticator()), client, "unknown passkey")
    alice.is_disabled = True
    db.session.commit()
    refused(passkey_sign_in(client, enrolled), client, "disabled")


def test_password_then_passkey_as_the_second_factor(client, alice, enrolled):
    response = login(client, "alice", PASSWORD)
    assert response.headers["Location"] == "/login/verify"
    page = client.get("/login/verify").get_data(as_text=True)
    assert "Use a passkey" in page and "/login/verify/passkey" in page
    token = client.csrf_token("/login/verify")
    found = options(client, "/login/passkey/options?step=verify", token)
    assert [c["id"] for c in found["allowCredentials"]] == [found_id(enrolled)]
    credential = enrolled.assertion(found, ORIGIN)
    data = {"csrf_token": token, "credential": credential, "remember_device": "y"}
    response = client.post("/login/verify/passkey", data=data)
    assert response.status_code == 303 and signed_in(client)
    assert db.session.scalar(select(func.count(RememberedDevice.id))) == 1


def test_someone_elses_passkey_is_refused_as_the_second_factor(
    client, alice, enrolled, make_user, login_as
):
    bob = make_user("bob")
    login_as(bob)
    bobs = SoftAuthenticator()
    add_passkey(client, bobs, "Bob's")
    client.submit("/logout", page="/account/sessions")
    login(client, "alice", PASSWORD)
    token = client.csrf_token("/login/verify")
    found = options(client, "/login/passkey/options?step=verify", token)
    data = {"csrf_token": token, "credential": bobs.assertion(found, ORIGIN)}
    response = client.post("/login/verify/passkey", data=data)
    assert response.status_code == 401 and not signed_in(client)
    event = actions("factor.failed")[-1]
    assert event.target == "alice" and "not a passkey of this account" in event.detail


def test_the_second_step_options_need_someone_half_way(client):
    response = client.post(
        "/login/passkey/options?step=verify", headers={"X-CSRFToken": client.csrf_token("/login")}
    )
    assert response.status_code == 409 and "expired" in response.get_json()["error"]


def test_the_json_options_need_the_csrf_header(client, alice, login_as):
    assert client.post("/login/passkey/options").status_code == 400
    login_as(alice)
    assert client.post("/account/security/passkeys/options").status_code == 400


def test_the_login_page_offers_the_passkey_hidden_until_the_script_finds_webauthn(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with a passkey" in page and 'data-passkey="get"' in page
    assert "js/passkeys.js" in page and "<script>" not in page


def test_a_domain_that_must_use_sso_cannot_use_a_passkey_alone(
    client, alice, enrolled, monkeypatch
):
    monkeypatch.setattr("app.sso.accounts.password_refused", lambda login: alice)
    response = passkey_sign_in(client, enrolled)
    assert response.status_code == 403 and not signed_in(client)
    assert passkeys_of(alice)[0].sign_count == 0, "nothing of the attempt was kept"


def test_the_second_step_with_a_passkey_needs_someone_half_way(client):
    token = client.csrf_token("/login")
    response = client.post("/login/verify/passkey", data={"csrf_token": token, "credential": "{}"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_failures_against_one_account_are_limited_as_passwords_are(
    client, alice, enrolled, make_user, login_as
):
    login_as(make_user("bob"))
    bobs = SoftAuthenticator()
    add_passkey(client, bobs, "Bob's")
    client.submit("/logout", page="/account/sessions")
    for _ in range(5):  # login_account_per_minute
        assert passkey_sign_in(client, enrolled, verified=False).status_code == 401
    assert passkey_sign_in(client, enrolled).status_code == 429
    assert not signed_in(client)
    assert passkey_sign_in(client, bobs).status_code == 303, "another account is not held"


def test_a_user_handle_of_another_account_is_refused(client, alice, enrolled):
    enrolled.user_handle = b"999"
    refused(passkey_sign_in(client, enrolled), client, "user handle")
