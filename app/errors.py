"""Domain errors raised by services, and the error pages."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import discard_session, limiter

log = logging.getLogger("gatehouse")


class DomainError(Exception):
    """A rule refused the request; the message is shown to the person as is.

    `field` names the form field (or API attribute) the message belongs next to, if any.
    """

    status = 422
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class LimitReached(DomainError):
    """A plan's limit: the form comes back with the reason (and an upgrade path), like any
    other refusal of what was asked, not the 403 page of a missing right."""

    status = 422


MESSAGES = {
    400: (
        "Bad request",
        "The request could not be understood. If you submitted a form, "
        "reload the page and try again.",
    ),
    403: ("Forbidden", "You are not allowed to do that."),
    404: ("Not found", "There is nothing here."),
    405: ("Method not allowed", "That action is not available here."),
    409: ("Conflict", "That clashes with a change made in the meantime. Reload and try again."),
    413: ("Request too large", "What you sent is larger than this site accepts."),
    422: ("Not possible", "That cannot be done."),
    429: ("Too many attempts", "There were too many attempts from here in a short time."),
    500: ("Something went wrong", "An unexpected error happened. It has been logged."),
    502: (
        "Upstream service failed",
        "A service this page depends on did not answer properly. "
        "Nothing was changed; try again in a moment.",
    ),
    503: (
        "Temporarily unavailable",
        "The site cannot reach its database right now. Try again in a few seconds.",
    ),
}


def render_error(code: int, description: str | None = None, retry_after: int | None = None):
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html",
        code=code,
        title=title,
        text=description or text,
        retry_in=wait_in_words(retry_after) if retry_after is not None else None,
        skip_user=g.get("skip_db", False),
    ), code


def wait_in_words(seconds: int) -> str:
    """A Retry-After value as a person would say it: "in about a minute"."""
    if seconds <= 10:
        return "in a few seconds"
    if seconds < 45:
        return "in less than a minute"
    if seconds < 90:
        return "in about a minute"
    if seconds < 55 * 60:
        return f"in about {round(seconds / 60)} minutes"
    if seconds < 90 * 60:
        return "in about an hour"
    return f"in about {round(seconds / 3600)} hours"


def _machine_answer(code: int, description: str | None = None, errors=None):
    """The JSON error of an API or SCIM request, or None for a page (app/api/problems.py)."""
    from app.api import bearer, problems

    if not bearer.is_machine_request():
        return None
    return problems.answer(code, description, errors=errors)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        # The limiter's own description ("5 per 1 minute") is not for people: the page says
        # when to come back instead, from the same number as the Retry-After header.
        retry_after = _retry_after() if code == 429 else None
        # webargs puts what was wrong with each attribute of a request in `data`.
        errors = (getattr(exc, "data", None) or {}).get("messages")
        machine = _machine_answer(code, _machine_detail(exc, retry_after, errors), errors)
        if machine is not None:
            discard_session()
            for key, value in exc.get_headers():
                if key.lower() not in {"content-type", "content-length"}:
                    machine.headers[key] = value
            if retry_after is not None:
                machine.headers["Retry-After"] = str(retry_after)
            return machine
        try:
            page = render_error(code, retry_after=retry_after)
        except (OperationalError, InterfaceError):
            # The layout asks who is signed in, which needs the database; a 429 or 404 is
            # still the right answer while it is down, so show the page without it.
            discard_session()
            page = _safe_render(code, retry_after=retry_after)
        response = app.make_response(page)
        for key, value in exc.get_headers():
            if key.lower() not in {"content-type", "content-length"}:
                response.headers[key] = value
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_error(exc: Exception):
        discard_session()
        log.error("database error on %s %s: %s", request.method, request.path, exc.__class__)
        return _machine_answer(503) or _safe_render(503)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        log.exception(
            "unhandled error on %s %s",
            request.method,
            request.path,
            exc_info=exc.original_exception,
        )
        discard_session()
        return _machine_answer(500) or _safe_render(500)


def _machine_detail(exc: HTTPException, retry_after: int | None, errors) -> str | None:
    """What a program is told: the limiter's wait, what was wrong with the request, or the
    description a view gave; Werkzeug's stock texts give way to our own (MESSAGES)."""
    if retry_after is not None:
        return f"Too many requests with this token; try again in {retry_after} s."
    if errors:
        return "Some attributes of the request are not valid: see `errors`."
    default = type(exc).description
    return exc.description if exc.description and exc.description != default else None


def _retry_after() -> int:
    """Seconds until the limit that refused this request lets one through again.

    Set here, on the 429 only: Flask-Limiter's own headers (RATELIMIT_HEADERS_ENABLED) put a
    Retry-After on every answer of a limited route, telling a client to wait after a success.
    """
    refused = limiter.current_limit
    if refused is None:
        return 60
    try:
        return max(1, refused.reset_at - int(time.time()))
    except Exception:  # the limit storage failed in between: the window's length will do
        return refused.limit.get_expiry()


def _safe_render(code: int, description: str | None = None, retry_after: int | None = None):
    """Render the page without touching the database (it may be the thing that failed)."""
    g.skip_db = True
    try:
        return render_error(code, description, retry_after)
    except Exception:  # the layout itself failed: fall back to plain text
        title = MESSAGES.get(code, MESSAGES[500])[0]
        return f"{title}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
