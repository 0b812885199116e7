"""Fixtures for single sign-on: a real OpenID Connect provider (panva's `oidc-provider`, run
by Node from tests/sso/oidc_provider/), stand-ins for what cannot run here, the app configured
for all of them, and `through_provider`, which plays the browser at the provider."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import yaml

from app.sso import oidc_client
from tests.conftest import unavailable
from tests.sso.standins import FakeGitHub, FakeOidc

HERE = Path(__file__).parent / "oidc_provider"
APP = "http://localhost"  # the Flask test client's host: the callback URLs the app sends
CALLBACKS = [
    f"{APP}/auth/oidc/{idp}/login/callback" for idp in ("corp", "corp-post", "corp-jit")
] + [f"{APP}/auth/social/{name}/login/callback" for name in ("google", "amazon-cognito")]
CLIENTS = [
    {
        "client_id": "gatehouse-basic",
        "client_secret": "basic-secret",
        "redirect_uris": CALLBACKS,
        "token_endpoint_auth_method": "client_secret_basic",
    },
    {
        "client_id": "gatehouse-post",
        "client_secret": "post-secret",
        "redirect_uris": CALLBACKS,
        "token_endpoint_auth_method": "client_secret_post",
    },
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_provider(clients: list[dict], port: int | None = None) -> Iterator[str]:
    """A running oidc-provider 9.x with `clients`, on `port` (or a free one): yields its issuer
    URL. npm installs the package on first use; without Node.js and npm the test fails."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("Node.js and npm are missing (they run the oidc-provider package)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True
        )
        if done.returncode:
            unavailable(f"npm install failed in {HERE}:\n{done.stderr.decode()[-2000:]}")
    port = port or free_port()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_CLIENTS": json.dumps(clients)}
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"oidc-provider did not start:\n{output[-2000:]}")
            time.sleep(0.1)
    try:
        yield issuer
    finally:
        process.terminate()
        process.wait(5)


@pytest.fixture(scope="session")
def oidc_provider():
    """The issuer URL of a running oidc-provider with this module's CLIENTS."""
    with running_provider(CLIENTS) as issuer:
        yield issuer


@pytest.fixture(scope="session")
def fake_oidc():
    server = FakeOidc()
    yield server
    server.close()


@pytest.fixture(scope="session")
def fake_github():
    server = FakeGitHub()
    yield server
    server.close()


@pytest.fixture
def sso_config(oidc_provider, fake_oidc, fake_github) -> dict:
    """The provider file as a dict; a test may change it before the app is made."""
    fake_oidc.reset()
    oidc_client.clear_cache()

    def enterprise(idp: str, client: dict, **extra) -> dict:
        return {
            "id": idp,
            "protocol": "OIDC",
            "name": f"Corp {idp}",
            "server_url": oidc_provider,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "token_auth_method": client["token_endpoint_auth_method"],
            **extra,
        }

    basic, post = CLIENTS
    return {
        "sso": {
            "enabled": True,
            "selection_mode": "lowest_weight",
            "enable_pkce": True,
            "identity_providers": [
                enterprise("corp", basic),
                enterprise("corp-post", post),
                enterprise("corp-jit", basic, jit=True),
                {
                    "id": "standin",
                    "protocol": "OIDC",
                    "server_url": fake_oidc.url,
                    "client_id": FakeOidc.CLIENT_ID,
                    "client_secret": "standin-secret",
                },
            ],
        },
        "social_account": {
            "enabled": True,
            "google": {**_secrets(basic), "server_url": oidc_provider},
            "amazon_cognito": {**_secrets(post), "server_url": oidc_provider},
            "github": {
                "client_id": "gh-id",
                "client_secret": "gh-secret",
                "server_url": fake_github.url,
            },
        },
    }


def _secrets(client: dict) -> dict:
    return {
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "token_auth_method": client["token_endpoint_auth_method"],
    }


@pytest.fixture
def app_overrides(sso_config, tmp_path) -> dict:
    path = tmp_path / "auth_config.yml"
    path.write_text(yaml.safe_dump(sso_config))
    return {"AUTH_CONFIG_PATH": str(path)}


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def through_provider(authorize_url: str, login: str = "alice") -> str:
    """Play the browser at the provider from `authorize_url`: sign in as `login` on its login
    page, agree on its consent page. Returns the path and query it sends back to the app."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if url.startswith(APP + "/"):
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
            response = browser.get(url, allow_redirects=False, timeout=10)
            continue
        assert response.status_code == 200, response.text[:500]
        found = _FORM.search(response.text)
        assert found, f"no form on the provider's page:\n{response.text[:1000]}"
        fields = dict(_HIDDEN.findall(found.group(2)))
        if 'name="login"' in found.group(2):
            fields.update(login=login, password="anything")
        action = urljoin(response.url, found.group(1))
        response = browser.post(action, data=fields, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back to the app")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
