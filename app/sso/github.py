"""GitHub sign-in (SPEC §8): OAuth 2 without an ID token. The person is GitHub's numeric user
id; the address is the primary, verified one from the emails API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from app.sso.accounts import Assertion
from app.sso.config import Provider
from app.sso.oidc_client import TIMEOUT, Failure, exchange

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def urls(provider: Provider) -> tuple[str, str, str]:
    """The authorize, token and API base URLs. GitHub Enterprise (and a test stand-in) serves
    its API at {server_url}/api/v3; only github.com has api.github.com."""
    server = (provider.server_url or "https://github.com").rstrip("/")
    api = "https://api.github.com" if server == "https://github.com" else f"{server}/api/v3"
    return f"{server}/login/oauth/authorize", f"{server}/login/oauth/access_token", api


def complete(
    provider: Provider, saved: Any, args: Mapping[str, str], redirect_uri: str
) -> Assertion:
    _, token_url, api = urls(provider)
    client, _ = exchange(provider, saved, args, redirect_uri, token_url)
    user = _get(client, f"{api}/user")
    emails = _get(client, f"{api}/user/emails")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise Failure("userinfo", "GitHub's /user answer has no numeric id")
    primary = [
        e
        for e in (emails if isinstance(emails, list) else [])
        if isinstance(e, dict) and e.get("primary") and e.get("verified")
    ]
    login, name = user.get("login"), user.get("name")
    return Assertion(
        subject=str(user["id"]),
        email=str(primary[0]["email"])[:254] if primary else None,
        email_verified=bool(primary),
        username=login if isinstance(login, str) else None,
        display_name=name if isinstance(name, str) and name else None,
    )


def _get(client: OAuth2Session, url: str) -> Any:
    try:
        response = client.get(url, headers=API_HEADERS, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise Failure("userinfo", f"{url}: {exc}"[:300]) from None
