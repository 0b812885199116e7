"""Flask-Limiter limits for sign-in, recovery and sign-up, read from the admin settings.

Flask-Limiter takes any error raised here for a storage failure (and switches to its in-memory
fallback), so while the database is down these use the defaults instead of raising; the view
itself then answers 503.
"""

from __future__ import annotations

from flask import g, request
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from app import settings
from app.extensions import discard_session
from app.models.user import name_key


def _setting(key: str) -> int:
    try:
        return settings.get(key)
    except SQLAlchemyError:
        discard_session()
        return settings.DEFINITIONS[key].default


def login_ip_limit() -> str:
    return f"{_setting('login_ip_per_minute')} per minute"


def login_account_limit() -> str:
    return f"{_setting('login_account_per_minute')} per minute"


def recovery_ip_limit() -> str:
    return f"{_setting('recovery_ip_per_hour')} per hour"


def forgot_ip_limit() -> str:
    return f"{_setting('forgot_ip_per_hour')} per hour"


def forgot_account_limit() -> str:
    return f"{_setting('forgot_account_per_hour')} per hour"


def signup_ip_limit() -> str:
    return f"{_setting('signup_ip_per_hour')} per hour"


def signup_email_limit() -> str:
    return f"{_setting('signup_email_per_hour')} per hour"


def login_account_key() -> str:
    """The resolved account, so its email and its username share one allowance.

    An unknown name is keyed by its normalised form, so it meets the same limit as a real
    account and the limit does not tell which names exist. /forgot uses the same key.
    """
    from app.auth.services import find_account

    login = request.form.get("login", "")
    try:
        user = find_account(login) if len(login) <= 254 else None
    except SQLAlchemyError:
        discard_session()
        user = None
    return f"account:{user.id}" if user else f"name:{name_key(login)[:254]}"


def signup_email_key() -> str:
    """The address being signed up, whatever its letter case or surrounding spaces."""
    return f"email:{name_key(request.form.get('email', ''))[:254]}"


def ip_key() -> str:
    return get_remote_address() or "unknown"


def login_failed(_response) -> bool:
    """Only failed sign-ins count against an account (the view sets the flag)."""
    return bool(g.get("login_failed"))
