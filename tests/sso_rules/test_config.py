"""The provider file: read at start, every mistake one sentence naming where it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.sso import config
from app.sso.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_the_file_is_read_with_secrets_from_the_environment(app):
    found = config.current()
    assert found.enabled and found.selection_mode == "email_address"
    corp, lab = found.providers["corp"], found.providers["lab"]
    assert corp.protocol == "OIDC" and corp.client_secret == "corp-secret" and corp.pkce
    assert corp.discovery_url == "http://127.0.0.1:9/.well-known/openid-configuration"
    assert lab.protocol == "SAML" and lab.jit and lab.weight == 5
    assert list(found.social) == ["google"] and found.social["google"].kind == "Google"


def test_providers_are_chosen_by_domain_or_by_lowest_weight(app):
    found = config.current()
    assert found.choose("Ann@Corp.Example").id == "corp"
    assert found.choose("bo@lab.example").id == "lab"
    assert found.choose("cy@elsewhere.example") is None
    by_weight = config.parse({"sso": {**_sso(), "selection_mode": "lowest_weight"}})
    assert by_weight.choose("anyone@anywhere.example").id == "b"


def _sso() -> dict:
    provider = {"protocol": "OIDC", "server_url": "https://idp.example", "client_id": "x"}
    return {
        "enabled": True,
        "identity_providers": [
            {**provider, "id": "a", "weight": 30, "email_domain": "a.example"},
            {**provider, "id": "b", "weight": 3, "email_domain": "b.example"},
        ],
    }


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"client_id": None}, ["`corp`", "`client_id` is required"]),
        ({"protocol": "CAS"}, ["`corp`", "`protocol` must be one of OIDC, SAML"]),
        ({"server_url": "ftp://x"}, ["`corp`", "`server_url` must be an http(s) URL"]),
        ({"token_auth_method": "private_key_jwt"}, ["`token_auth_method` must be one of"]),
        ({"weight": "heavy"}, ["`weight` must be a whole number"]),
        ({"id": "Corp Sign-in"}, ["`id` must be lowercase letters"]),
        ({"email_domain": None}, ["`corp`", "`email_domain` is required"]),
    ],
)
def test_each_mistake_names_the_provider_and_the_key(change, words):
    entry = {
        "id": "corp",
        "protocol": "OIDC",
        "server_url": "https://idp.example",
        "client_id": "x",
        "email_domain": "corp.example",
    }
    entry.update(change)
    with pytest.raises(ConfigError) as caught:
        config.parse({"sso": {"enabled": True, "identity_providers": [entry]}}, "auth.yml")
    assert all(word in str(caught.value) for word in words), str(caught.value)


def test_saml_needs_metadata_or_an_address_and_certificate():
    entry = {"id": "lab", "protocol": "SAML", "entity_id": "urn:lab", "email_domain": "lab.x"}
    with pytest.raises(ConfigError, match="give `metadata_url`, or `sso_url` and `x509_cert`"):
        config.parse({"sso": {"enabled": True, "identity_providers": [entry]}})
    entry["attribute_mapping"] = {"mail": "email"}
    entry["metadata_url"] = "https://idp.example/metadata"
    with pytest.raises(ConfigError, match="unknown key `mail`"):
        config.parse({"sso": {"enabled": True, "identity_providers": [entry]}})


def test_two_providers_with_one_id_and_an_unset_variable_are_refused(tmp_path, monkeypatch):
    entry = {"id": "a", "protocol": "OIDC", "server_url": "https://i.example", "client_id": "x"}
    with pytest.raises(ConfigError, match="two identity providers have the id `a`"):
        config.parse({"sso": {"identity_providers": [entry, entry]}})
    monkeypatch.delenv("GATEHOUSE_UNSET_SECRET", raising=False)
    path = tmp_path / "auth.yml"
    path.write_text("sso:\n  identity_providers:\n    - client_secret: ${GATEHOUSE_UNSET_SECRET}\n")
    with pytest.raises(ConfigError, match=r"\$\{GATEHOUSE_UNSET_SECRET\}, but that environment"):
        config.load(str(path))


def test_no_file_means_sso_off_but_a_named_missing_file_is_a_mistake(tmp_path):
    assert config.load(str(tmp_path / "absent.yml")).providers == {}
    with pytest.raises(ConfigError, match="not a readable file"):
        config.load(str(tmp_path / "absent.yml"), required=True)


def test_a_broken_file_stops_the_start_with_one_sentence_and_no_traceback(tmp_path):
    path = tmp_path / "auth.yml"
    path.write_text(
        "sso:\n  enabled: true\n  identity_providers:\n    - id: corp\n      protocol: OIDC\n"
    )
    env = {**os.environ, "AUTH_CONFIG_PATH": str(path), "GATEHOUSE_INSTANCE": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert "identity provider `corp`: `server_url` is required" in done.stderr
