"""Passkeys without a browser (SPEC §10), adding, naming and removing: a software
authenticator (soft_authenticator.py) answers the options the routes send, so each refusal can
be made on purpose. Signing in is test_passkey_signin.py, the browser tests/browser/."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app, settings
from app.auth import devices, factors
from app.auth.passkey_signin import went_backwards
from app.auth.passkeys import relying_party
from app.extensions import db
from app.models import RecoveryCode, RememberedDevice
from tests.account.passkey_support import (
    ORIGIN,
    add_passkey,
    found_id,
    options,
    passkeys_of,
)
from tests.account.soft_authenticator import SoftAuthenticator
from tests.auth.helpers import actions, reload
from tests.factories import PASSWORD

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
    assert page.status_code == 200 and "Save these codes now" in page.get_data(as_text=True)
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


def test_the_origin_is_written_as_browsers_write_it(app):
    app.config["BASE_URL_SET"] = False
    assert relying_party("http://LocalHost:80/").origin == "http://localhost"
    assert relying_party("http://localhost:99999/").origin == "http://localhost:99999"
    assert relying_party("http://[::1]:8000/").id == "::1"


def test_a_person_who_must_enroll_can_add_a_passkey(client, alice, login_as):
    settings.set_many({"require_2fa_everyone": True, "factor_grace_days": 0})
    db.session.commit()
    login_as(alice)
    assert client.get("/account/tokens").status_code == 302, "held to the security page"
    assert add_passkey(client, SoftAuthenticator(), "Phone").status_code == 200
    assert client.get("/account/tokens").status_code == 200, "the gate is lifted"


def test_a_credential_registered_already_is_refused(client, alice, enrolled, make_user, login_as):
    login_as(make_user("mallory"))
    response = add_passkey(client, enrolled, "Alice's, again")
    assert response.status_code == 422 and "already registered" in response.get_data(as_text=True)
    assert len(passkeys_of(alice)) == 1
