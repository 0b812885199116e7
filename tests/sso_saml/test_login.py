"""SP-initiated sign-in against a real identity provider (SimpleSAMLphp), end to end."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from sqlalchemy import func, select

from app.extensions import db, utcnow
from app.models import AuditEvent, FederatedIdentity, SsoRequest, UsedAssertion, User, UserSession
from tests.sso_saml.conftest import SP_BASE, Stopwatch, failures

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def assert_signed_in(client) -> None:
    """Signed in: a new account without a recovery question is first sent to choose one (the
    app's gate for every account without one, app/auth/setup.py), and that page answers."""
    home = client.get("/")
    if home.status_code == 302:
        assert home.location.endswith("/account/security-question")
        home = client.get("/account/security-question")
    assert home.status_code == 200


def test_metadata_is_valid_and_names_our_acs(client):
    response = client.get("/auth/saml/corp-saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    root = etree.fromstring(response.data)
    assert root.get("entityID") == f"{SP_BASE}/auth/saml/corp-saml/metadata"
    acs = root.find(f".//{{{MD}}}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == f"{SP_BASE}/auth/saml/corp-saml/acs"
    assert root.find(f".//{{{MD}}}SPSSODescriptor").get("WantAssertionsSigned") == "true"


def test_unknown_provider_is_404(client):
    assert client.get("/auth/saml/nobody/metadata").status_code == 404
    assert client.get("/auth/saml/nobody/login").status_code == 404
    assert client.post("/auth/saml/nobody/acs").status_code == 404


def test_login_remembers_the_request_and_sends_only_a_local_relay_state(client, idp):
    response = client.get("/auth/saml/corp-saml/login?next=https://evil.example/x")
    assert response.status_code == 302
    assert response.location.startswith(f"{idp.base_url}/saml2/idp/SSOService.php?SAMLRequest=")
    assert "evil.example" not in response.location
    request = db.session.scalars(select(SsoRequest)).one()
    assert request.provider == "corp-saml" and request.next_path is None


def test_sign_in_creates_the_account_then_finds_it(client, saml_sign_in, post_acs):
    with Stopwatch() as watch:
        fields = saml_sign_in("alice", next_path="/account/sessions")
        assert fields["action"] == f"{SP_BASE}/auth/saml/corp-saml/acs"
        response = post_acs(fields)
    print(f"\none full SAML sign-in: {watch.seconds:.3f} s")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.location.endswith("/account/sessions")
    assert_signed_in(client)
    identity = db.session.scalars(select(FederatedIdentity)).one()
    assert (identity.provider, identity.subject) == ("corp-saml", "alice")
    user = identity.user
    assert (user.username, user.email) == ("alice", "alice@example.org")
    assert user.display_name == "Alice Liddell" and user.email_verified_at is not None
    assert count(UserSession) == 1 and count(SsoRequest) == 0
    logins = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso.login")).all()
    assert [e.target_user_id for e in logins] == [user.id]

    client.post("/logout", data={"csrf_token": client.csrf_token()})
    second = post_acs(saml_sign_in("alice"))
    assert second.status_code == 303 and second.location.endswith("/")
    assert count(User) == 1 and count(FederatedIdentity) == 1
    assert_signed_in(client)
    assert failures() == []


def test_absolute_relay_state_is_never_followed(saml_sign_in, post_acs):
    fields = saml_sign_in("alice")
    response = post_acs({**fields, "RelayState": "https://evil.example/steal"})
    assert response.status_code == 303
    assert "evil.example" not in response.location
    assert response.location in ("/", f"{SP_BASE}/")


def test_transient_name_id_is_never_the_subject(saml_sign_in, post_acs):
    response = post_acs(saml_sign_in("alice", provider="nouid-saml"), provider="nouid-saml")
    assert response.status_code == 400
    assert count(FederatedIdentity) == 0 and count(UserSession) == 0
    assert any(d.startswith("no subject") for d in failures())


def test_expired_rows_are_swept_when_a_response_arrives(saml_sign_in, post_acs):
    past = utcnow() - timedelta(minutes=1)
    db.session.add(SsoRequest(id="_old-request", provider="corp-saml", expires_at=past))
    db.session.add(UsedAssertion(id="_old-assertion", provider="corp-saml", expires_at=past))
    db.session.commit()
    assert post_acs(saml_sign_in("alice")).status_code == 303
    assert db.session.get(SsoRequest, "_old-request") is None
    assert db.session.get(UsedAssertion, "_old-assertion") is None
    assert count(UsedAssertion) == 1  # alice's, kept until it expires
