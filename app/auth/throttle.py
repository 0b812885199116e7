"""Flask-Limiter limits for sign-in and recovery, read from the admin settings."""
from __future__ import annotations

from flask import g, request
from flask_limiter.util import get_remote_address

from app import settings
from app.models.user import name_key


def login_ip_limit() -> str:
    return f"{settings.get('login_ip_per_minute')} per minute"


def login_account_limit() -> str:
    return f"{settings.get('login_account_per_minute')} per minute"


def recovery_ip_limit() -> str:
    return f"{settings.get('recovery_ip_per_hour')} per hour"


def login_account_key() -> str:
    """The resolved account, so its email and its username share one allowance."""
    from app.auth.services import find_account

    login = request.form.get("login", "")
    user = find_account(login) if len(login) <= 254 else None
    return f"account:{user.id}" if user else f"name:{name_key(login)[:254]}"


def ip_key() -> str:
    return get_remote_address() or "unknown"


def login_failed(_response) -> bool:
    """Only failed sign-ins count against an account (the view sets the flag)."""
    return bool(g.get("login_failed"))
