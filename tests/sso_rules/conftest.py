"""A provider file for the rules every protocol shares (no identity provider runs here: these
tests call the shared service and pages directly; tests/sso and tests/sso_saml drive real ones)."""

from __future__ import annotations

import pytest

FILE = """
sso:
  enabled: true
  selection_mode: email_address
  enable_pkce: true
  identity_providers:
    - id: corp
      protocol: OIDC
      name: Corp sign-in
      server_url: http://127.0.0.1:9/
      client_id: gatehouse
      client_secret: ${GATEHOUSE_TEST_CORP_SECRET}
      email_domain: corp.example
      weight: 20
    - id: lab
      protocol: SAML
      name: Lab SAML
      entity_id: http://127.0.0.1:9/idp
      sso_url: http://127.0.0.1:9/sso
      x509_cert: MIIBfake
      email_domain: lab.example
      weight: 5
      jit: true
social_account:
  enabled: true
  google: {client_id: g-id, client_secret: g-secret, server_url: "http://127.0.0.1:9/google"}
"""


@pytest.fixture
def auth_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEHOUSE_TEST_CORP_SECRET", "corp-secret")
    path = tmp_path / "auth_config.yml"
    path.write_text(FILE)
    return path


@pytest.fixture
def app_overrides(auth_config) -> dict:
    return {"AUTH_CONFIG_PATH": str(auth_config)}
