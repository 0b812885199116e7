"""A real SAML identity provider (SimpleSAMLphp, see idp.py) for the whole run, and an app whose
auth config points at it. The app is driven with the Flask test client on
http://gatehouse.example.com, the host our SP entity id and ACS URL are registered under at the
IdP; `requests` plays the browser at the IdP."""

from __future__ import annotations

import base64
import time

import pytest
import yaml
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from tests.sso_saml import idp as simplesamlphp

SP_HOST = "gatehouse.example.com"
SP_BASE = f"http://{SP_HOST}"
SP_IDS = ["corp-saml", "other-saml", "nouid-saml"]
MAPPING = {
    "uid": "uid",
    "email": "mail",
    "email_verified": "email_verified",
    "username": "username",
    "first_name": "givenName",
    "last_name": "sn",
}


@pytest.fixture(scope="session")
def idp(tmp_path_factory):
    running = simplesamlphp.start(tmp_path_factory.mktemp("simplesamlphp"), SP_BASE, SP_IDS)
    yield running
    simplesamlphp.stop(running)


@pytest.fixture
def app_overrides(idp, tmp_path) -> dict:
    common = {"protocol": "SAML", "entity_id": idp.entity_id, "email_domain": "example.org"}
    providers = [
        {
            **common,
            "id": "corp-saml",
            "metadata_url": idp.metadata_url,
            "attribute_mapping": MAPPING,
        },
        {  # the same IdP configured by its SSO URL and certificate instead of metadata
            **common,
            "id": "other-saml",
            "email_domain": "other.example.org",
            "sso_url": f"{idp.base_url}/saml2/idp/SSOService.php",
            "x509_cert": idp.certificate,
            "attribute_mapping": MAPPING,
        },
        {  # no uid mapping: only a persistent NameID could be the subject
            **common,
            "id": "nouid-saml",
            "email_domain": "nouid.example.org",
            "metadata_url": idp.metadata_url,
            "attribute_mapping": {k: v for k, v in MAPPING.items() if k != "uid"},
        },
    ]
    path = tmp_path / "auth_config.yml"
    path.write_text(yaml.safe_dump({"sso": {"enabled": True, "identity_providers": providers}}))
    return {"AUTH_CONFIG_PATH": str(path), "SERVER_NAME": SP_HOST}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def saml_sign_in(client, idp):
    """Start at our login route and sign in at the IdP; the fields its last page would POST
    back to us (SAMLResponse, RelayState, action), not posted yet."""

    def run(username: str, provider: str = "corp-saml", next_path: str | None = None) -> dict:
        query = {"next": next_path} if next_path else {}
        started = client.get(f"/auth/saml/{provider}/login", query_string=query)
        assert started.status_code == 302, started.get_data(as_text=True)
        db.session.commit()  # end the test's read transaction before the app writes again
        run.last = idp.sign_in(started.location, username, f"{username}-pass")  # type: ignore[attr-defined]
        return run.last  # type: ignore[attr-defined]

    return run


@pytest.fixture
def post_acs(client):
    def run(fields: dict, provider: str = "corp-saml", client=client):
        data = {k: v for k, v in fields.items() if k in ("SAMLResponse", "RelayState")}
        response = client.post(f"/auth/saml/{provider}/acs", data=data)
        db.session.expire_all()
        return response

    return run


def decode(fields: dict) -> bytes:
    return base64.b64decode(fields["SAMLResponse"])


def encode(fields: dict, xml: bytes) -> dict:
    return {**fields, "SAMLResponse": base64.b64encode(xml).decode()}


def failures() -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "sso.failed"))
    )


class Stopwatch:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
