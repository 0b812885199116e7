"""Configuration: defaults here, then instance/config.py, then the environment (and .env)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


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
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    RATELIMIT_KEY_PREFIX = "gatehouse"
    TRUSTED_PROXIES = 0
    PORT = 8000
    BASE_URL = "http://127.0.0.1:8000"
    ADMIN_PASSWORD = None
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_FROM = "gatehouse@localhost"
    MAIL_TIMEOUT = 10
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
    # How old a worker's copy of the admin settings may be (app/settings.py); at most 5.
    SETTINGS_CACHE_SECONDS = 2


STRINGS = (
    "SECRET_KEY DATABASE_URL RATELIMIT_STORAGE_URI BASE_URL ADMIN_PASSWORD MAIL_SERVER "
    "MAIL_USERNAME MAIL_PASSWORD MAIL_FROM STRIPE_SECRET_KEY STRIPE_WEBHOOK_SECRET "
    "STRIPE_API_BASE STRIPE_PRICE_SOLO_MONTH STRIPE_PRICE_SOLO_YEAR STRIPE_PRICE_TEAM_MONTH "
    "STRIPE_PRICE_TEAM_YEAR STRIPE_PRICE_SOLO_MONTH_AMOUNT STRIPE_PRICE_SOLO_YEAR_AMOUNT "
    "STRIPE_PRICE_TEAM_MONTH_AMOUNT STRIPE_PRICE_TEAM_YEAR_AMOUNT STRIPE_CURRENCY"
).split()
INTEGERS = ("TRUSTED_PROXIES", "PORT", "MAIL_PORT", "MAX_CONTENT_LENGTH", "SETTINGS_CACHE_SECONDS")
BOOLEANS = ("MAIL_USE_TLS",)


def instance_path() -> str:
    return os.environ.get("GATEHOUSE_INSTANCE", str(ROOT / "instance"))


def load(app: Flask, overrides: dict) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    _load_environment(app)
    app.config.update(overrides)
    app.config.setdefault("DATABASE_URL", None)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        "sqlite:///" + os.path.join(app.instance_path, "gatehouse.db")
    )
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _load_environment(app: Flask) -> None:
    from dotenv import load_dotenv

    load_dotenv(ROOT / ".env", override=False)
    for key in STRINGS:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    for key in INTEGERS:
        if os.environ.get(key):
            app.config[key] = int(os.environ[key])
    for key in BOOLEANS:
        if os.environ.get(key):
            app.config[key] = os.environ[key].strip().lower() in {"1", "true", "yes", "on"}


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
