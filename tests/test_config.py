"""Configuration from the environment: the documented unprefixed names (README, SPEC) with
their types, and any config key as GATEHOUSE_<KEY> through Flask's from_prefixed_env."""

from __future__ import annotations

import pytest

from app import create_app
from app.config import DOCUMENTED


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """An instance folder of the test's own with a config.py, no .env, and `set` for variables."""
    monkeypatch.setattr("dotenv.load_dotenv", lambda *a, **k: False)
    # The caller's own settings (make exports PORT, a shell may hold MAIL_SERVER) stay out.
    for key in DOCUMENTED:
        monkeypatch.delenv(key, raising=False)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SESSION_COOKIE_NAME = "from_instance"\nPORT = 7000\n')
    monkeypatch.setenv("GATEHOUSE_INSTANCE", str(instance))
    monkeypatch.setenv("SECRET_KEY", "environment-secret-0123456789abcdef")
    return monkeypatch.setenv


def _config(**overrides) -> dict:
    return create_app({"DATABASE_URL": "sqlite://", **overrides}).config


def test_any_key_can_be_set_with_the_gatehouse_prefix_and_json_values(environment):
    environment("GATEHOUSE_SESSION_COOKIE_NAME", "gh")
    environment("GATEHOUSE_ARGON2_MEMORY_COST", "65536")
    environment("GATEHOUSE_MAIL_USE_TLS", "true")
    environment("GATEHOUSE_RATELIMIT_HEADERS_ENABLED", "false")
    environment("GATEHOUSE_SQLALCHEMY_ENGINE_OPTIONS__pool_recycle", "300")
    config = _config()
    assert config["SESSION_COOKIE_NAME"] == "gh"
    assert config["ARGON2_MEMORY_COST"] == 65536
    assert config["MAIL_USE_TLS"] is True and config["RATELIMIT_HEADERS_ENABLED"] is False
    # A nested key is merged into the default dict, not put in its place.
    assert config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "pool_recycle": 300}


def test_the_documented_names_keep_working_with_their_types(environment):
    environment("TRUSTED_PROXIES", "1")
    environment("PORT", "8123")
    environment("MAIL_USE_TLS", "off")
    environment("MAIL_PASSWORD", "12345")  # digits, yet a string: never JSON-decoded
    environment("STRIPE_PRICE_SOLO_MONTH_AMOUNT", "900")
    environment("BASE_URL", "https://gatehouse.example.com")
    config = _config()
    assert config["SECRET_KEY"] == "environment-secret-0123456789abcdef"
    assert config["TRUSTED_PROXIES"] == 1 and config["PORT"] == 8123
    assert config["MAIL_USE_TLS"] is False
    assert config["MAIL_PASSWORD"] == "12345" and config["STRIPE_PRICE_SOLO_MONTH_AMOUNT"] == "900"
    assert config["BASE_URL"] == "https://gatehouse.example.com"
    environment("MAIL_USE_TLS", "yes")
    assert _config()["MAIL_USE_TLS"] is True


def test_precedence_instance_file_then_plain_names_then_prefixed_then_arguments(environment):
    assert _config()["SESSION_COOKIE_NAME"] == "from_instance" and _config()["PORT"] == 7000
    environment("PORT", "8001")
    assert _config()["PORT"] == 8001
    environment("GATEHOUSE_PORT", "8002")
    environment("GATEHOUSE_SESSION_COOKIE_NAME", "from_env")
    assert _config()["PORT"] == 8002 and _config()["SESSION_COOKIE_NAME"] == "from_env"
    assert _config(PORT=8003)["PORT"] == 8003


def test_a_bad_integer_in_a_documented_name_stops_the_start(environment):
    environment("TRUSTED_PROXIES", "one")
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        _config()
