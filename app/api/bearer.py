"""Who is calling the API or SCIM: a bearer token, never a cookie (SPEC §9).

Machine requests (/api/v1, /scim/v2) skip the cookie session's bookkeeping and the account-setup
gate (app/auth), and answer errors as JSON (app/api/problems.py, app/scim). The token is
looked up once per request; its use is recorded by app.tokens.authenticate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import g, has_request_context, request

from app import tokens
from app.errors import DomainError, Forbidden
from app.models import ApiToken, User
from app.transactions import write_transaction

API_PREFIX = "/api/v1"
SCIM_PREFIX = "/scim/v2"
REALM = 'Bearer realm="gatehouse"'


def is_machine_request() -> bool:
    """Whether this request is for the API or SCIM (the /api/docs page is for people)."""
    if not has_request_context():
        return False
    path = request.path
    return any(path == p or path.startswith(p + "/") for p in (API_PREFIX, SCIM_PREFIX))


class Unauthorized(DomainError):
    """No token, or one that is unknown, expired, revoked or whose account is disabled."""

    status = 401

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        # RFC 6750 §3: say how to authenticate; name the error only if a token was sent.
        challenge = f'{REALM}, error="invalid_token"' if sent else REALM
        self.headers = {"WWW-Authenticate": challenge}


class InsufficientScope(Forbidden):
    def __init__(self, scope: str) -> None:
        super().__init__(f"This token does not carry the scope `{scope}`.")
        self.headers = {"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'}


@dataclass(frozen=True)
class Caller:
    token: ApiToken
    user: User  # whose rights the token acts with (tokens.acting_user)

    def has(self, scope: str) -> bool:
        return scope in self.token.scope_list

    @property
    def is_admin(self) -> bool:
        """Administrator rights need both: an administrator, and a token given `admin`."""
        return self.user.is_admin and self.has("admin")


def secret() -> str | None:
    """The token of `Authorization: Bearer <token>`, or None without one."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def rate_key() -> str:
    """The rate limit's key: the token (hashed, so no secret reaches the limit store), or the
    address for a request without one."""
    raw = secret()
    if raw is None:
        return f"ip:{request.remote_addr}"
    return "token:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def authenticate() -> Caller:
    """The caller of this request, or Unauthorized; looked up once per request."""
    found = g.get("api_caller")
    if found is not None:
        return found
    raw = secret()
    if raw is None:
        raise Unauthorized("Send an API token: Authorization: Bearer gth_…", sent=False)
    with write_transaction():  # the token's last use is written
        token = tokens.authenticate(raw, request.remote_addr)
        user = tokens.acting_user(token) if token is not None else None
    if token is None or user is None:
        raise Unauthorized("This token is unknown, expired or revoked.", sent=True)
    caller = g.api_caller = Caller(token, user)
    g.api_token_name = token.name  # the audit log names the token (app/audit.py)
    return caller


def require(scope: str, *, admin: bool = False) -> Caller:
    """The caller, if its token carries `scope` (and, with `admin`, administrator rights)."""
    caller = authenticate()
    if not caller.has(scope):
        raise InsufficientScope(scope)
    if admin and not caller.is_admin:
        if caller.user.is_admin:
            raise InsufficientScope("admin")
        raise Forbidden("Only administrators may do that.")
    return caller
