"""API tokens (SPEC §9): personal access tokens and service tokens, shown once, kept as a hash.

The pages (account, admin) and the future API's bearer authentication all go through here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app import audit
from app.errors import DomainError, NotFound
from app.extensions import db, utcnow
from app.models import ApiToken, User
from app.models.token import ADMIN_SCOPES, PREFIX, SCOPES

MAX_DAYS = 365
SHOWN_CHARS = 12  # the prefix kept in clear: "gth_" and 8 random characters
USE_RECORDED_EVERY = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def scopes_for(user: User) -> tuple[str, ...]:
    """The scopes `user` may give a token: all of them for an administrator."""
    return SCOPES if user.is_admin else tuple(s for s in SCOPES if s not in ADMIN_SCOPES)


def _checked(actor: User, name: str, days: int | None, scopes: list[str]) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError("Give the token a name of at most 100 characters.", field="name")
    if days is None or not 1 <= days <= MAX_DAYS:
        raise DomainError(f"Choose between 1 and {MAX_DAYS} days.", field="expires_in_days")
    allowed = scopes_for(actor)
    if not scopes or any(s not in allowed for s in scopes):
        raise DomainError("Choose at least one of the scopes offered.", field="scopes")
    return ",".join(s for s in SCOPES if s in scopes)  # in the canonical order, once each


def issue(
    actor: User, name: str, days: int | None, scopes: list[str], *, service_token: bool = False
) -> tuple[ApiToken, str]:
    """A new token for `actor` (or, from an administrator, a service token tied to nobody),
    and its secret, which exists nowhere else once the caller has shown it."""
    if service_token and not actor.is_admin:
        raise NotFound("There is no such page.")
    chosen = _checked(actor, name, days, scopes)
    raw = _new_secret()
    now = utcnow()
    token = ApiToken(
        user_id=None if service_token else actor.id,
        name=name.strip(),
        prefix=raw[:SHOWN_CHARS],
        token_hash=digest(raw),
        scopes=chosen,
        created_at=now,
        expires_at=now + timedelta(days=days or 0),
        created_by_id=actor.id,
    )
    db.session.add(token)
    audit.record(
        "token.created",
        actor,
        target_user=None if service_token else actor,
        target="a service" if service_token else None,
        detail=token.name,
    )
    return token, raw


def tokens_of(user: User) -> list[ApiToken]:
    """The person's tokens not revoked, newest first (expired ones too, until revoked)."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def service_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id.is_(None), ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke(actor: User, token_id: int, *, any_owner: bool = False) -> ApiToken:
    """Revoke one token: a person their own, an administrator (`any_owner`) anyone's.

    The conditional UPDATE makes two simultaneous revokes end one way: one revokes, the other
    is told the token was revoked already (and no second audit event is written)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not (any_owner and actor.is_admin or token.user_id == actor.id):
        raise NotFound("There is no such token.")
    done = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise DomainError("That token was revoked already.")
    db.session.refresh(token)
    audit.record(
        "token.revoked",
        actor,
        target_user=token.user,
        target=None if token.user is not None else "a service",
        detail=token.name,
    )
    return token


def revoke_all_of(user: User) -> int:
    """Every live token of `user` (the account is being disabled); how many were revoked."""
    done = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return done.rowcount  # type: ignore[attr-defined]


def acting_user(token: ApiToken) -> User | None:
    """Whose rights `token` acts with: its owner; for a service token, the administrator who
    made it, for as long as they are an enabled administrator (None otherwise)."""
    if token.user_id is not None:
        return token.user
    maker = token.created_by
    if maker is None or not maker.is_admin or maker.is_disabled:
        return None
    return maker


def find(raw: str) -> ApiToken | None:
    """The live token whose secret is `raw`, or None: revoked, expired, unknown, or its owner's
    account disabled. The lookup is by the secret's hash, so no comparison runs on the secret.
    Only reads; the owner comes in the same statement (`token.user` is loaded)."""
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    found = db.session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(raw))
    ).first()
    if found is None:
        return None
    token, owner = found
    set_committed_value(token, "user", owner)  # acting_user() needs no second statement
    if not token.is_live(utcnow()) or (owner is not None and owner.is_disabled):
        return None
    return token


def use_due(token: ApiToken) -> bool:
    """Whether this use is to be recorded: at most once a minute, so that reads stay reads."""
    return token.last_used_at is None or utcnow() - token.last_used_at >= USE_RECORDED_EVERY


def record_use(token: ApiToken, ip: str | None) -> None:
    """Write the token's last use; of two requests at once, one writes."""
    now = utcnow()
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - USE_RECORDED_EVERY,
            ),
        )
        .values(last_used_at=now, last_used_ip=ip)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(token, "last_used_at", now)  # written above, not to flush again
    set_committed_value(token, "last_used_ip", ip)


def authenticate(raw: str, ip: str | None = None) -> ApiToken | None:
    """`find`, and its use recorded when due (the caller's transaction must be able to write)."""
    token = find(raw)
    if token is not None and use_due(token):
        record_use(token, ip)
    return token
