""" "Remember this device for 30 days" (SPEC §10): a record the person sees in /account/sessions
and can revoke; the browser keeps only a random secret in an HttpOnly cookie."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import request
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from app import audit
from app.errors import NotFound
from app.extensions import db, utcnow
from app.models import RememberedDevice, User

DAYS = 30
COOKIE = "gatehouse_device"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cookie_name() -> str:
    return f"__Host-{COOKIE}" if request.is_secure else COOKIE


def remember(user: User, response: Response) -> RememberedDevice:
    """A new record, and its secret set as a cookie on `response`."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    device = RememberedDevice(
        user_id=user.id,
        token_hash=_digest(raw),
        created_at=now,
        expires_at=now + timedelta(days=DAYS),
        ip=request.remote_addr,
        user_agent=request.user_agent.string[:255],
    )
    db.session.add(device)
    audit.record("factor.device_remembered", user, target_user=user)
    response.set_cookie(
        _cookie_name(),
        raw,
        max_age=DAYS * 24 * 3600,
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return device


def remembered(user: User) -> RememberedDevice | None:
    """This browser's live record for `user`, if it carries one."""
    raw = request.cookies.get(_cookie_name())
    if not raw or len(raw) > 100:
        return None
    device = db.session.scalar(
        select(RememberedDevice).where(RememberedDevice.token_hash == _digest(raw))
    )
    if device is None or device.user_id != user.id or not device.is_live(utcnow()):
        return None
    return device


def devices_of(user: User) -> list[RememberedDevice]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(RememberedDevice)
            .where(
                RememberedDevice.user_id == user.id,
                RememberedDevice.revoked_at.is_(None),
                RememberedDevice.expires_at > now,
            )
            .order_by(RememberedDevice.created_at.desc())
        )
    )


def revoke(user: User, device_id: int) -> None:
    """Forget one device of the person's: its next sign-in asks for the second factor again."""
    done = db.session.execute(
        update(RememberedDevice)
        .where(
            RememberedDevice.id == device_id,
            RememberedDevice.user_id == user.id,
            RememberedDevice.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound("There is no such remembered device.")
    audit.record("factor.device_forgotten", user, target_user=user, detail=f"device {device_id}")
