"""OpenID Connect sign-in against a real provider (oidc-provider, tests/sso/oidc_provider/):
the browser's trip through its login and consent pages is real HTTP; the app is the test
client."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import func, select

from app import settings
from app.extensions import db
from app.models import AuditEvent, FederatedIdentity, User, UserSession
from tests.factories import PASSWORD
from tests.sso.conftest import query, through_provider


def start(client, path: str = "/auth/oidc/corp/login") -> str:
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def sign_in(client, path: str = "/auth/oidc/corp/login", login: str = "alice"):
    return client.get(through_provider(start(client, path), login))


def signed_in_as(client) -> User | None:
    """The account this browser is signed in to. A new account without a security question is
    first sent to choose one (app/auth/setup.py): that page too means signed in."""
    db.session.rollback()  # see what the app's requests committed
    response = client.get("/")
    if response.status_code != 200 and not response.headers["Location"].endswith(
        "/account/security-question"
    ):
        return None
    sessions = db.session.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).all()
    assert len(sessions) == 1
    return db.session.get(User, sessions[0].user_id)


def actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_first_sign_in_creates_the_account_and_a_session(client):
    response = sign_in(client, "/auth/oidc/corp/login?next=/account/identities")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/identities"
    user = signed_in_as(client)
    assert user is not None and user.username == "alice"
    assert user.email == "alice@example.com" and user.email_verified_at is not None
    identity = db.session.scalar(select(FederatedIdentity))
    assert (identity.provider, identity.subject, identity.user_id) == ("corp", "alice", user.id)
    assert "sso.login" in actions()


def test_the_authorization_request_carries_state_nonce_and_pkce_s256(client):
    params = query(start(client))
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["state"] != params["nonce"]
    assert params["redirect_uri"] == "http://localhost/auth/oidc/corp/login/callback"
    assert params["scope"] == "openid email profile"


def test_second_sign_in_finds_the_same_account(client, app):
    sign_in(client)
    first = signed_in_as(client)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert signed_in_as(client) is None
    sign_in(client)
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(FederatedIdentity.id))) == 1
    assert signed_in_as(client).id == first.id


def test_client_secret_post(client):
    sign_in(client, "/auth/oidc/corp-post/login", login="bob")
    user = signed_in_as(client)
    assert user is not None and user.username == "bob"


def test_existing_account_is_linked_only_after_its_password_sign_in(client, make_user):
    owner = make_user("carol", email="carol@example.com")
    response = sign_in(client, login="carol")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert signed_in_as(client) is None
    assert db.session.scalar(select(func.count(FederatedIdentity.id))) == 0
    response = client.submit("/login", {"login": "carol@example.com", "password": PASSWORD})
    assert response.status_code == 303
    identity = db.session.scalar(select(FederatedIdentity))
    assert identity is not None and identity.user_id == owner.id
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    sign_in(client, login="carol")
    assert signed_in_as(client).id == owner.id
    assert "sso.linked" in actions()


def test_unverified_address_of_an_existing_account_is_refused(client, make_user):
    make_user("unverified-dan", email="unverified-dan@example.com")
    response = sign_in(client, login="unverified-dan")
    assert response.status_code == 403
    assert "did not confirm" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert db.session.scalar(select(func.count(FederatedIdentity.id))) == 0
    assert actions()[-1] == "sso.failed"


def test_wrong_state_is_refused_and_signs_nobody_in(client):
    callback = through_provider(start(client))
    params = query(callback)
    response = client.get(callback.replace(params["state"], "forged-state"))
    assert response.status_code == 400
    assert signed_in_as(client) is None
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.failed"))
    assert event.target == "corp" and event.detail.startswith("state:")


def test_an_answer_naming_another_issuer_is_refused(client):
    """RFC 9207: the provider names itself in the answer; another name is a mix-up."""
    callback = through_provider(start(client))
    issuer = query(callback)["iss"]
    response = client.get(callback.replace(quote(issuer, safe=""), "https%3A%2F%2Fevil.example"))
    assert response.status_code == 400
    assert signed_in_as(client) is None
    assert actions()[-1] == "sso.failed"
    assert db.session.scalar(select(AuditEvent.detail)).startswith("issuer:")


def test_replayed_callback_is_refused(client):
    callback = through_provider(start(client))
    assert client.get(callback).status_code == 303
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    response = client.get(callback)
    assert response.status_code == 400
    assert signed_in_as(client) is None


def test_provider_error_is_a_clear_page(client):
    start(client)
    response = client.get("/auth/oidc/corp/login/callback?error=access_denied&state=x")
    assert response.status_code == 400
    assert "access_denied" in response.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_registration_closed_refuses_a_new_person(client):
    settings.set_many({"registration_open": False})
    db.session.commit()
    response = sign_in(client, login="erin")
    assert response.status_code == 403
    assert "registration is closed" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_registration_closed_but_jit_provider_creates_the_account(client):
    settings.set_many({"registration_open": False})
    db.session.commit()
    sign_in(client, "/auth/oidc/corp-jit/login", login="frank")
    user = signed_in_as(client)
    assert user is not None and user.username == "frank"


def test_unknown_provider_is_404(client):
    assert client.get("/auth/oidc/nobody/login").status_code == 404
    assert client.get("/auth/oidc/nobody/login/callback").status_code == 404
