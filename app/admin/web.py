"""Small helpers shared by the admin route modules."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_login import current_user

from app.models import User
from app.urls import local_path


def actor() -> User:
    return current_user._get_current_object()


def url_with(endpoint: str, **changes) -> str:
    """The current page's URL with some query arguments replaced (None drops one)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if v != ""}
    args.update(changes)
    return url_for(endpoint, **{k: v for k, v in args.items() if v is not None})


def back_to(default: str) -> str:
    """Where a POST came from, when the form said so and it is on this site."""
    return local_path(request.form.get("next")) or default
