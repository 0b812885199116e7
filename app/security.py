"""Cookie flags, security headers and the proxy set-up of SPEC §6."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from flask import Flask, abort, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "img-src 'self' data:"
)


class SessionInterface(SecureCookieSessionInterface):
    """Over HTTPS the cookie is Secure and carries the `__Host-` prefix (Path=/, no Domain)."""

    def get_cookie_name(self, app: Flask) -> str:
        name = app.config["SESSION_COOKIE_NAME"]
        return f"__Host-{name}" if _is_secure(app) else name

    def get_cookie_secure(self, app: Flask) -> bool:
        return _is_secure(app)

    def get_cookie_domain(self, app: Flask) -> str | None:
        return None if _is_secure(app) else super().get_cookie_domain(app)

    def get_cookie_path(self, app: Flask) -> str:
        return "/"


def _is_secure(app: Flask) -> bool:
    return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies > 0:
        # Flask documents wrapping wsgi_app this way; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            ForwardedAddress(app.wsgi_app),
            x_for=proxies,
            x_proto=proxies,
            x_host=proxies,
            x_port=proxies,
            x_prefix=proxies,
        )
    app.before_request(refuse_uploads)
    app.before_request(refuse_nul_in_url)
    app.after_request(set_security_headers)


def ip_address(value: str) -> str | None:
    """The IP address in a forwarded value, in its short normal form (at most 39 characters, so
    it fits the 45-character columns); None when the value is not one. A port ("192.0.2.1:80",
    "[2001:db8::1]:80", as some load balancers send) and an IPv6 zone ("fe80::1%eth0", which
    means nothing outside that host) are dropped."""
    text = value.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text.partition("%")[0]))
    except ValueError:
        return None


class ForwardedAddress:
    """WSGI middleware inside ProxyFix. The address ProxyFix took from X-Forwarded-For becomes
    request.remote_addr, which the session records, the audit log and the rate limits all use:
    it is normalised here, once, and a value that is not an IP address (a misconfigured proxy,
    or a client when TRUSTED_PROXIES counts one proxy too many) is refused with 400."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        original = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
        forwarded = environ.get("REMOTE_ADDR")
        if forwarded and forwarded != original:
            address = ip_address(forwarded)
            if address is None:
                refusal = BadRequest("The X-Forwarded-For address is not an IP address.")
                return refusal.get_response(environ)(environ, start_response)
            environ["REMOTE_ADDR"] = address
        return self.wsgi_app(environ, start_response)


def refuse_uploads():
    """No form here takes a file; one sent anyway is a bad request, not a server error."""
    if request.mimetype == "multipart/form-data" and request.files:
        abort(400, "This site does not accept file uploads.")
    return None


def refuse_nul_in_url():
    """PostgreSQL refuses NUL in text, so a NUL in the path or query string would reach the
    database as an error; no name on this site contains one, so the request is refused here.
    (Form fields are checked by app.forms.plain_text, next to the field.)"""
    if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
        abort(400, "The address contains a NUL character.")
    return None


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Flask-Login keeps the loaded user on g; a signed-in page must not sit in any cache.
    # Decided without the database: is_authenticated reads is_disabled, which a commit in the
    # view has expired, and reloading it while PostgreSQL shuts down turned a saved form into
    # a 500. is_anonymous is a constant of the class.
    if (
        g.get("skip_db")
        or g.get("no_store")
        or not getattr(g.get("_login_user"), "is_anonymous", True)
    ):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
