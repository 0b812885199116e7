"""The audit log: one row per security event or admin action.

This is an infrastructure sink like logging, so unlike services it reads the client's address and
browser from the current request itself.
"""

from __future__ import annotations

import logging

from flask import g, has_request_context, request

from app.extensions import db, utcnow
from app.models import AuditEvent, User

log = logging.getLogger("gatehouse.audit")


def client_ip() -> str | None:
    return request.remote_addr if has_request_context() else None


def user_agent() -> str | None:
    return request.user_agent.string[:255] if has_request_context() else None


def record(
    action: str,
    actor: User | None = None,
    *,
    target_user: User | None = None,
    target: str | None = None,
    org=None,
    detail: str | None = None,
) -> AuditEvent:
    """Add an event to the session; it is written with the caller's transaction."""
    now = utcnow()
    via = g.get("api_token_name") if has_request_context() else None
    if via is not None:  # a change made through the API or SCIM names its token (SPEC §9)
        detail = f"{detail}; token: {via}" if detail else f"token: {via}"
    if target is None and target_user is not None:
        target = target_user.username
    event = AuditEvent(
        created_at=now,
        day=now.date(),
        action=action,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else None,
        target_user_id=target_user.id if target_user else None,
        target=target,
        organization_id=org.id if org is not None else None,
        ip=client_ip(),
        user_agent=user_agent(),
        detail=detail,
    )
    db.session.add(event)
    log.info("%s actor=%s target=%s ip=%s", action, event.actor_name, target, event.ip)
    return event
