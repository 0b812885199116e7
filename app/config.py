"""Configuration: defaults here, then instance/config.py, then the environment (and .env):
the documented names, then GATEHOUSE_<KEY> for any key (see DOCUMENTED)."""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
# templates/, static/ and migrations/ sit at the top of a checkout (STYLE.md); a wheel carries
# them inside the package, as app/_templates, app/_static and app/_migrations (pyproject.toml).
INSTALLED = (PACKAGE / "_templates").is_dir()


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session record it belongs to
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # forced on per request when the request came over HTTPS
    PERMANENT_SESSION_LIFETIME = 30 * 24 * 3600
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False  # Retry-After goes on 429s only (app/errors.py)
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    RATELIMIT_KEY_PREFIX = "gatehouse"
    TRUSTED_PROXIES = 0
    PORT = 8000
    # Unset: DEFAULT_BASE_URL for links in mail, and passkeys follow the request's host.
    BASE_URL = None
    ADMIN_PASSWORD = None
    AUTH_CONFIG_PATH = None  # the SSO file (app/sso/config.py); unset: instance/auth_config.yml
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_FROM = "gatehouse@localhost"
    MAIL_TIMEOUT = 10
    MAIL_RETRY_SECONDS = 60  # the first wait after a failed delivery; doubles, at most an hour
    # The task queue (app/jobs.py): unset follows RATELIMIT_STORAGE_URI when it is Redis,
    # else a SQLite file in instance/.
    HUEY_URL = None
    HUEY_IMMEDIATE = False  # run tasks in the caller (tests), not in `flask worker`
    # The JSON API (app/api): each token's allowance, in Flask-Limiter's words.
    API_RATE_LIMIT = "600 per minute"
    API_TITLE = "Gatehouse API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"  # the document at /api/v1/openapi.json; the page at /api/docs
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None
    STRIPE_PRICE_SOLO_MONTH = None
    STRIPE_PRICE_SOLO_YEAR = None
    STRIPE_PRICE_TEAM_MONTH = None
    STRIPE_PRICE_TEAM_YEAR = None
    STRIPE_CURRENCY = "eur"  # shown next to the STRIPE_PRICE_*_AMOUNT figures (cents)
    # argon2id: the OWASP floor is m=19 MiB, t=2, p=1; we spend a little more memory.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19456
    ARGON2_PARALLELISM = 1


# The environment variables README and SPEC document, read without a prefix, each with its
# type. Any config key, these included, can also be set as GATEHOUSE_<KEY> through Flask's
# from_prefixed_env, with a JSON value (GATEHOUSE_SESSION_COOKIE_NAME=gh,
# GATEHOUSE_ARGON2_MEMORY_COST=65536, GATEHOUSE_SQLALCHEMY_ENGINE_OPTIONS__pool_size=10); the
# prefixed form wins. The documented names are not JSON-decoded: a password or a price of
# digits must stay a string, and MAIL_USE_TLS=yes/no keeps meaning what it says.
PREFIX = "GATEHOUSE"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
TEXT = (
    "SECRET_KEY",
    "DATABASE_URL",
    "RATELIMIT_STORAGE_URI",
    "BASE_URL",
    "ADMIN_PASSWORD",
    "AUTH_CONFIG_PATH",
    "API_RATE_LIMIT",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "HUEY_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_PRICE_SOLO_MONTH",
    "STRIPE_PRICE_SOLO_YEAR",
    "STRIPE_PRICE_TEAM_MONTH",
    "STRIPE_PRICE_TEAM_YEAR",
    "STRIPE_PRICE_SOLO_MONTH_AMOUNT",
    "STRIPE_PRICE_SOLO_YEAR_AMOUNT",
    "STRIPE_PRICE_TEAM_MONTH_AMOUNT",
    "STRIPE_PRICE_TEAM_YEAR_AMOUNT",
    "STRIPE_CURRENCY",
)
WHOLE_NUMBERS = (
    "TRUSTED_PROXIES",
    "PORT",
    "MAIL_PORT",
    "MAIL_RETRY_SECONDS",
    "MAX_CONTENT_LENGTH",
)


def _flag(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


DOCUMENTED: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(TEXT, str),
    **dict.fromkeys(WHOLE_NUMBERS, int),
    "MAIL_USE_TLS": _flag,
}


def folder(name: str) -> str:
    """The templates, static or migrations folder: the installed package's, else the checkout's."""
    return str(PACKAGE / f"_{name}" if INSTALLED else CHECKOUT / name)


def instance_path() -> str | None:
    """GATEHOUSE_INSTANCE, else the checkout's instance/; an installed package leaves it to
    Flask (<prefix>/var/app-instance, inside the virtual environment)."""
    if os.environ.get("GATEHOUSE_INSTANCE"):
        return os.environ["GATEHOUSE_INSTANCE"]
    return None if INSTALLED else str(CHECKOUT / "instance")


def load(app: Flask, overrides: dict) -> None:
    app.config.from_object(Defaults)
    # Each app its own copy of the default dicts, which GATEHOUSE_<KEY>__<name> writes into.
    app.config.update(copy.deepcopy({k: v for k, v in app.config.items() if isinstance(v, dict)}))
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    app.config.update(overrides)
    app.config.setdefault("DATABASE_URL", None)
    _base_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "gatehouse.db")
    )
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _base_url(app: Flask) -> None:
    """BASE_URL_SET tells whether anyone set BASE_URL (environment, instance file or argument):
    only then do passkeys take their relying-party id from it (SPEC §10). The default is an IP
    address, which browsers refuse as relying-party id, so without it the request's host is."""
    app.config["BASE_URL_SET"] = bool(app.config.get("BASE_URL"))
    app.config["BASE_URL"] = app.config["BASE_URL"] or DEFAULT_BASE_URL


def _load_environment(app: Flask) -> None:
    from dotenv import load_dotenv

    if not INSTALLED:  # an installed app has no checkout: the environment or instance/config.py
        load_dotenv(CHECKOUT / ".env", override=False)
    for key, parse in DOCUMENTED.items():
        if os.environ.get(key):
            try:
                app.config[key] = parse(os.environ[key])
            except ValueError:
                raise ValueError(
                    f"The environment variable {key} must be a whole number."
                ) from None
    # Every GATEHOUSE_* variable becomes a key; the few that are no config key (such as
    # GATEHOUSE_INSTANCE, read above, or the test suite's) are read by nothing.
    app.config.from_prefixed_env(PREFIX)


def _instance_secret(folder: Path) -> str:
    """Read the generated key, or create it once, readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
