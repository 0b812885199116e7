"""The OpenID Connect relying party (SPEC §8): discovery, the authorization code flow with
`state`, `nonce` and PKCE S256, the ID token's checks, userinfo. Protocol only: the routes are
in oidc.py, what a sign-in does to accounts in accounts.py.

Authlib's OAuth2Session speaks OAuth 2 (authorization URL, token request, client
authentication); ID tokens are checked with joserfc, Authlib's own JOSE library, which replaces
the deprecated `authlib.jose`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app.sso.accounts import Assertion
from app.sso.config import GOOGLE_ISSUER, Provider

TIMEOUT = 10  # seconds for each call to a provider
CACHE_SECONDS = 300  # discovery documents and key sets, per process
LEEWAY = 60  # seconds of clock skew allowed on exp and iat
# RFC 8176 methods that are, or include, a factor beyond a password.
SECOND_FACTORS = {"mfa", "otp", "hwk", "sc", "sms", "tel", "swk", "face", "fpt", "iris"}
_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

_cache: dict[str, tuple[float, Any]] = {}


class Failure(Exception):
    """A provider's answer that cannot be accepted; `kind` names the check for the audit log."""

    def __init__(
        self, kind: str, detail: str, message: str | None = None, status: int = 400
    ) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.message, self.status = kind, detail, message, status


def clear_cache() -> None:
    _cache.clear()


def get_json(url: str, kind: str, **kwargs: Any) -> Any:
    """The JSON document at `url`, or a Failure of `kind`."""
    try:
        response = requests.get(url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise Failure(
            kind, f"{url}: {exc}"[:300], "The identity provider could not be reached."
        ) from None


def _cached(url: str, load: Any, fresh: bool = False) -> Any:
    hit = _cache.get(url)
    if hit is not None and not fresh and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load(url)
    _cache[url] = (time.monotonic(), value)
    return value


def discover(provider: Provider) -> dict:
    """The provider's OpenID configuration, fetched at most every few minutes."""

    def load(url: str) -> dict:
        data = get_json(url, "discovery")
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in needed):
            raise Failure("discovery", f"{url} is not an OpenID configuration")
        return data

    return _cached(provider.discovery_url, load)


def _keys(jwks_uri: str, fresh: bool = False) -> KeySet:
    def load(url: str) -> KeySet:
        try:
            return KeySet.import_key_set(get_json(url, "jwks"))
        except (JoseError, ValueError, TypeError) as exc:
            raise Failure("jwks", f"{url}: {exc}"[:300]) from None

    return _cached(jwks_uri, load, fresh)


def session(provider: Provider, redirect_uri: str) -> OAuth2Session:
    client = OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=provider.token_auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if provider.pkce else None,
    )
    client.headers["Accept"] = "application/json"
    return client


def begin(provider: Provider, redirect_uri: str, authorize: str | None = None) -> tuple[str, dict]:
    """The provider's authorization URL and what the callback must find in the session. Without
    `authorize` the provider is OpenID Connect: the URL comes from discovery, a nonce is sent."""
    openid = authorize is None
    if authorize is None:
        authorize = discover(provider)["authorization_endpoint"]
    saved = {
        "state": generate_token(32),
        "nonce": generate_token(32) if openid else None,
        "verifier": generate_token(64) if provider.pkce else None,
    }
    extra = {"nonce": saved["nonce"]} if openid else {}
    url, _ = session(provider, redirect_uri).create_authorization_url(
        authorize, state=saved["state"], code_verifier=saved["verifier"], **extra
    )
    return url, saved


def exchange(
    provider: Provider, saved: Any, args: Mapping[str, str], redirect_uri: str, token_url: str
) -> tuple[OAuth2Session, dict]:
    """Check the callback's parameters against the session and trade the code for tokens."""
    if args.get("error"):
        detail = f"{args['error']}: {args.get('error_description', '')}"[:300]
        message = f"{provider.name} did not sign you in ({args['error']})."
        raise Failure("provider error", detail, message)
    if not isinstance(saved, dict) or not saved.get("state"):
        raise Failure("state", "no sign-in was started in this browser, or it was used already")
    if args.get("state") != saved["state"]:
        raise Failure("state", "the state parameter does not match the one sent")
    if not args.get("code"):
        raise Failure("no code", "the callback carries no authorization code")
    client = session(provider, redirect_uri)
    extra = {"code_verifier": saved["verifier"]} if saved.get("verifier") else {}
    try:
        token = client.fetch_token(
            token_url,
            grant_type="authorization_code",
            code=args["code"],
            timeout=TIMEOUT,
            **extra,
        )
    except (OAuthError, OAuth2Error) as exc:  # an error answer from the token endpoint
        raise Failure("token", f"{exc.error}: {exc.description or ''}"[:300]) from None
    except (requests.RequestException, ValueError) as exc:
        raise Failure("token", f"{token_url}: {exc}"[:300]) from None
    if not token.get("access_token"):
        raise Failure("token", "the token response has no access token")
    return client, dict(token)


def complete(
    provider: Provider, saved: Any, args: Mapping[str, str], redirect_uri: str
) -> Assertion:
    """Check an OpenID Connect callback; what the provider said about the person."""
    meta = discover(provider)
    if args.get("iss") and args["iss"] != meta["issuer"]:  # RFC 9207: a mix-up of providers
        raise Failure("issuer", "the authorization response came from another issuer")
    client, token = exchange(provider, saved, args, redirect_uri, meta["token_endpoint"])
    if not isinstance(token.get("id_token"), str):
        raise Failure("id token", "the token response has no ID token")
    claims = check_id_token(provider, meta, token["id_token"], saved["nonce"])
    info: dict = {}
    if meta.get("userinfo_endpoint"):
        try:
            response = client.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
            response.raise_for_status()
            info = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Failure("userinfo", f"{meta['userinfo_endpoint']}: {exc}"[:300]) from None
        if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
            raise Failure("userinfo", "the userinfo subject is not the ID token's")
    said = {**claims, **info}
    amr = claims.get("amr")
    methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
    return Assertion(
        subject=str(claims["sub"]),
        email=_text(said.get("email")),
        email_verified=said.get("email_verified") in (True, "true"),  # Cognito sends "true"
        username=_text(said.get("preferred_username")),
        display_name=_text(said.get("name")),
        second_factor=bool(SECOND_FACTORS & methods),
    )


def check_id_token(provider: Provider, meta: dict, raw: str, nonce: str) -> dict:
    """The ID token's claims once its signature, issuer, audience, times and nonce passed."""
    offered = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in _ASYMMETRIC] or ["RS256"]
    try:
        try:
            token = jwt.decode(raw, _keys(meta["jwks_uri"]), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider may have rotated its keys since we cached them
            token = jwt.decode(raw, _keys(meta["jwks_uri"], fresh=True), algorithms=algorithms)
    except (JoseError, ValueError, TypeError) as exc:
        raise Failure(
            "signature", f"the ID token's signature does not verify: {exc}"[:300]
        ) from None
    issuers = [meta["issuer"]]
    if provider.social == "google" and meta["issuer"] == GOOGLE_ISSUER.rstrip("/"):
        issuers.append("accounts.google.com")  # Google documents both forms
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY,
        iss={"essential": True, "values": issuers},
        aud={"essential": True, "value": provider.client_id or ""},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    claims = token.claims
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise Failure("expired", "the ID token has expired") from None
    except JoseError as exc:
        claim = getattr(exc, "claim", "") or ""
        kinds = {"iss": "issuer", "aud": "audience", "nonce": "nonce"}
        kind = kinds.get(claim.split(",")[0], "id token")
        raise Failure(kind, f"ID token: {exc}"[:300]) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (azp is not None or len(audiences) > 1) and azp != provider.client_id:
        raise Failure("audience", "the ID token was issued to another party (azp)")
    return claims


def _text(value: Any) -> str | None:
    return value.strip()[:254] or None if isinstance(value, str) else None
