"""Passkeys without a browser (SPEC §10): a software authenticator (soft_authenticator.py)
answers the options the routes send, so each refusal can be made on purpose: no user
verification, a counter that went back, another origin or relying-party id, a replayed
challenge, someone else's credential. The browser flow is tests/browser/test_passkeys.py."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app import create_app
from app.auth import devices, factors
from app.auth.passkey_signin import went_backwards
from app.auth.passkeys import relying_party
from app.extensions import db
from app.models import Passkey, RecoveryCode, RememberedDevice
from tests.account.soft_authenticator import SoftAuthenticator
from tests.auth.helpers import actions, login, reload
from tests.factories import PASSWORD

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


# ---- the relying party --------------------------------------------------------------------


def test_relying_party_is_base_url_when_set_else_the_request_host(app):
    with app.test_request_context(base_url="http://localhost:8000"):
        rp = relying_party("http://localhost:8000/")
        assert (rp.id, rp.origin) == ("gatehouse.example.com", ORIGIN)
        app.config["BASE_URL_SET"] = False
        rp = relying_party("http://localhost:8000/")
        assert (rp.id, rp.origin) == ("localhost", "http://localhost:8000")
        assert relying_party("https://example.org:443/").origin == "https://example.org"


def test_base_url_set_only_when_someone_sets_it(monkeypatch, tmp_path):
    monkeypatch.setattr("dotenv.load_dotenv", lambda *a, **k: False)
    for name in ("BASE_URL", "GATEHOUSE_BASE_URL", "GATEHOUSE_BASE_URL_SET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEHOUSE_INSTANCE", str(tmp_path))
    config = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}).config
    assert config["BASE_URL"] == "http://127.0.0.1:8000" and config["BASE_URL_SET"] is False
    monkeypatch.setenv("BASE_URL", "http://localhost:8000")
    config = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}).config
    assert config["BASE_URL"] == "http://localhost:8000" and config["BASE_URL_SET"] is True


def test_the_counter_rule():
    assert not went_backwards(0, 0) and not went_backwards(0, 5) and not went_backwards(5, 0)
    assert not went_backwards(5, 6)
    assert went_backwards(5, 5) and went_backwards(5, 4)


# ---- adding, naming, removing ---------------------------------------------------------------


def test_register_two_passkeys_named_and_numbered(client, alice, login_as, notices):
    login_as(alice)
    token = client.csrf_token("/account/security")
    found = options(client, "/account/security/passkeys/options", token)
    selection = found["authenticatorSelection"]
    assert selection["residentKey"] == "required" and selection["userVerification"] == "required"
    assert found["rp"]["id"] == "gatehouse.example.com" and found["excludeCredentials"] == []
    first, second = SoftAuthenticator(), SoftAuthenticator()
    page = add_passkey(client, first, "  Work   laptop ")
    assert page.status_code == 200 and "Your recovery codes" in page.get_data(as_text=True)
    found = options(client, "/account/security/passkeys/options", token)
    assert [c["id"] for c in found["excludeCredentials"]] == [found_id(first)]
    response = add_passkey(client, second)
    assert response.status_code == 303, "no new recovery codes: the first ones are unused"
    kept = passkeys_of(alice)
    assert [p.name for p in kept] == ["Work laptop", "Passkey 2"]
    assert kept[0].transports == "internal" and kept[0].credential_id == first.credential_id
    assert reload(alice).second_factor_at is not None and factors.recovery_left(alice) == 10
    assert [e.detail for e in actions("factor.passkey_added")] == ["Work laptop", "Passkey 2"]
    assert len(notices) == 2 and "Work laptop" in notices[0]


def found_id(key: SoftAuthenticator) -> str:
    return json.loads(key.assertion({"challenge": "AA", "rpId": "x"}, ORIGIN))["id"]


@pytest.mark.parametrize(
    "how",
    [
        {"verified": False},
        {"origin": "http://evil.example.org"},
        {"rp_id": "evil.example.org"},
    ],
    ids=["no user verification", "wrong origin", "wrong rp id"],
)
def test_a_registration_that_does_not_prove_it_is_refused(client, alice, login_as, how):
    login_as(alice)
    response = add_passkey(client, SoftAuthenticator(), "Bad", **how)
    assert response.status_code == 422
    assert "could not be added" in response.get_data(as_text=True)
    assert passkeys_of(alice) == [] and reload(alice).second_factor_at is None


def test_a_registration_answer_is_used_once(client, alice, login_as):
    login_as(alice)
    key = SoftAuthenticator()
    token = client.csrf_token("/account/security")
    credential = key.register(options(client, "/account/security/passkeys/options", token), ORIGIN)
    data = {"csrf_token": token, "name": "Once", "credential": credential}
    assert client.post("/account/security/passkeys", data=data).status_code == 200
    client.post("/account/security/passkeys/options", headers={"X-CSRFToken": token})
    again = client.post("/account/security/passkeys", data=data)
    assert again.status_code == 422 and len(passkeys_of(alice)) == 1


def test_rename_and_someone_elses_passkey_is_not_found(
    client, alice, enrolled, make_user, login_as
):
    login_as(alice)
    passkey = passkeys_of(alice)[0]
    url = f"/account/security/passkeys/{passkey.id}/rename"
    assert client.submit(url, {"name": "Phone"}, page="/account/security").status_code == 303
    assert passkeys_of(alice)[0].name == "Phone"
    login_as(make_user("mallory"))
    assert client.submit(url, {"name": "Mine"}, page="/account/security").status_code == 404
    delete = f"/account/security/passkeys/{passkey.id}/delete"
    assert (
        client.submit(delete, {"password": PASSWORD}, page="/account/security").status_code == 404
    )
    assert passkeys_of(alice)[0].name == "Phone"


def test_removing_one_of_two_keeps_the_factor_the_last_drops_backups(
    client, alice, login_as, notices
):
    login_as(alice)
    add_passkey(client, SoftAuthenticator(), "One")
    add_passkey(client, SoftAuthenticator(), "Two")
    with client.application.test_request_context():
        devices.remember(alice, client.application.response_class())
    db.session.commit()
    one, two = passkeys_of(alice)
    wrong = client.submit(
        f"/account/security/passkeys/{one.id}/delete",
        {"password": "nope"},
        page="/account/security",
    )
    assert wrong.status_code == 422 and len(passkeys_of(alice)) == 2
    for passkey, left in ((one, ["Two"]), (two, [])):
        url = f"/account/security/passkeys/{passkey.id}/delete"
        assert (
            client.submit(url, {"password": PASSWORD}, page="/account/security").status_code == 303
        )
        assert [p.name for p in passkeys_of(alice)] == left
        if left:
            assert reload(alice).second_factor_at is not None and factors.recovery_left(alice) == 10
    assert reload(alice).second_factor_at is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0
    live = db.session.scalars(select(RememberedDevice).where(RememberedDevice.revoked_at.is_(None)))
    assert list(live) == []
    assert [e.detail for e in actions("factor.passkey_removed")] == ["One", "Two"]
    assert "removed" in notices[-1]


# ---- signing in -----------------------------------------------------------------------------


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
