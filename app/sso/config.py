"""The identity providers, read from the YAML file named by AUTH_CONFIG_PATH (SPEC §8).

The file uses CVAT's keys, so an operator can bring theirs. It is read and checked once, when
the app starts: a mistake stops the start with `ConfigError`, a sentence naming the provider and
the key. A string value may name an environment variable as `${NAME}` (a client secret, say);
an unset variable is a mistake like a missing key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, current_app

PROTOCOLS = ("OIDC", "SAML")
SOCIAL = ("google", "github", "amazon-cognito")
SELECTION_MODES = ("email_address", "lowest_weight")
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
MAPPED = ("uid", "email", "email_verified", "username", "first_name", "last_name")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
GOOGLE_ISSUER = "https://accounts.google.com/"


class ConfigError(ValueError):
    """The SSO configuration file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Provider:
    """One identity provider: an enterprise OIDC or SAML one, or a social preset."""

    id: str
    protocol: str  # "OIDC" or "SAML"; social presets are OIDC but GitHub (OAuth 2)
    name: str
    social: str | None = None  # "google", "github", "amazon-cognito"
    email_domain: str | None = None
    weight: int = 10
    jit: bool = False  # may create accounts even while registration is closed
    # OpenID Connect and OAuth 2
    server_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_auth_method: str = "client_secret_basic"
    pkce: bool = True
    scope: str = "openid email profile"
    # SAML
    entity_id: str | None = None
    metadata_url: str | None = None
    sso_url: str | None = None
    x509_cert: str | None = None
    attribute_mapping: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """What the person sees: "OpenID Connect", "SAML", "GitHub"…"""
        labels = {"google": "Google", "github": "GitHub", "amazon-cognito": "Amazon Cognito"}
        return (
            labels[self.social]
            if self.social
            else ("OpenID Connect" if self.protocol == "OIDC" else "SAML")
        )

    @property
    def discovery_url(self) -> str:
        return (self.server_url or "").rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class SsoConfig:
    enabled: bool = False
    selection_mode: str = "email_address"
    providers: dict[str, Provider] = field(default_factory=dict)  # enterprise, by id
    social: dict[str, Provider] = field(default_factory=dict)  # by preset name
    path: str | None = None

    def choose(self, email: str) -> Provider | None:
        """The enterprise provider for an address: by its domain, or the lowest weight."""
        if not self.enabled or not self.providers:
            return None
        if self.selection_mode == "lowest_weight":
            return min(self.providers.values(), key=lambda p: (p.weight, p.id))
        domain = email.rpartition("@")[2].strip().lower()
        matches = [p for p in self.providers.values() if p.email_domain == domain]
        return min(matches, key=lambda p: (p.weight, p.id)) if matches else None

    def provider(self, protocol: str, provider_id: str) -> Provider | None:
        found = self.providers.get(provider_id) if self.enabled else None
        return found if found is not None and found.protocol == protocol else None

    def everything(self) -> list[Provider]:
        return [*self.providers.values(), *self.social.values()]


def current() -> SsoConfig:
    return current_app.extensions["sso"]


def init_app(app: Flask) -> None:
    path = app.config.get("AUTH_CONFIG_PATH") or os.path.join(app.instance_path, "auth_config.yml")
    explicit = bool(app.config.get("AUTH_CONFIG_PATH"))
    app.extensions["sso"] = load(path, required=explicit)


def load(path: str, required: bool = False) -> SsoConfig:
    """The configuration in `path`; no file means SSO off, unless the path was given."""
    file = Path(path)
    if not file.is_file():
        if required:
            raise ConfigError(f"AUTH_CONFIG_PATH names {path}, which is not a readable file.")
        return SsoConfig()
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping with `sso` and `social_account`."
        )
    return parse(_expand(data, path), path)


def _expand(value: Any, path: str) -> Any:
    """`${NAME}` in strings replaced by the environment's value."""
    if isinstance(value, dict):
        return {k: _expand(v, path) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, path) for v in value]
    if isinstance(value, str):

        def variable(match: re.Match) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"{path} uses ${{{name}}}, but that environment variable is not set."
                )
            return os.environ[name]

        return _VARIABLE.sub(variable, value)
    return value


class _Section:
    """Reads one mapping of the file, naming where a mistake is."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a mapping.")
        self.data, self.where = data, where

    def text(self, key: str, required: bool = False, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is None or value == "":
            if required:
                raise ConfigError(f"{self.where}: `{key}` is required.")
            return default
        if not isinstance(value, str | int):
            raise ConfigError(f"{self.where}: `{key}` must be text.")
        return str(value).strip()

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key, default=default)
        if value not in choices:
            raise ConfigError(f"{self.where}: `{key}` must be one of {', '.join(choices)}.")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}: `{key}` must be true or false.")
        return value

    def number(self, key: str, default: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
            raise ConfigError(f"{self.where}: `{key}` must be a whole number from 0.")
        return value

    def url(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ConfigError(f"{self.where}: `{key}` must be an http(s) URL.")
        return value


def parse(data: dict, path: str = "the SSO configuration") -> SsoConfig:
    unknown = set(data) - {"sso", "social_account"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key `{sorted(unknown)[0]}`.")
    sso = _Section(data.get("sso") or {}, f"{path}, sso")
    enabled = sso.flag("enabled", False)
    mode = sso.choice("selection_mode", SELECTION_MODES, "email_address")
    pkce = sso.flag("enable_pkce", True)
    entries = sso.data.get("identity_providers") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{path}, sso: `identity_providers` must be a list.")
    providers: dict[str, Provider] = {}
    for number, entry in enumerate(entries, 1):
        provider = _enterprise(_Section(entry, f"{path}, identity provider #{number}"), pkce)
        if provider.id in providers:
            raise ConfigError(f"{path}: two identity providers have the id `{provider.id}`.")
        providers[provider.id] = provider
    if enabled and mode == "email_address":
        for provider in providers.values():
            if not provider.email_domain:
                raise ConfigError(
                    f"{path}, identity provider `{provider.id}`: `email_domain` is required "
                    "with selection_mode email_address."
                )
    social_section = _Section(data.get("social_account") or {}, f"{path}, social_account")
    social: dict[str, Provider] = {}
    if social_section.flag("enabled", False):
        for key in ("google", "github", "amazon_cognito"):
            if social_section.data.get(key) is not None:
                preset = _social(
                    key.replace("_", "-"),
                    _Section(social_section.data[key], f"{path}, social_account.{key}"),
                    pkce,
                )
                social[preset.social or key] = preset
    return SsoConfig(enabled, mode, providers, social, path)


def _enterprise(section: _Section, pkce: bool) -> Provider:
    provider_id = section.text("id", required=True) or ""
    if not _ID.match(provider_id):
        raise ConfigError(
            f"{section.where}: `id` must be lowercase letters, digits and hyphens (it is part "
            "of the callback URL)."
        )
    section.where = f"{section.where.rsplit(',', 1)[0]}, identity provider `{provider_id}`"
    protocol = section.choice("protocol", PROTOCOLS, "")
    common: dict[str, Any] = {
        "id": provider_id,
        "protocol": protocol,
        "name": section.text("name", default=provider_id),
        "email_domain": (section.text("email_domain") or "").lower() or None,
        "weight": section.number("weight", 10),
        "jit": section.flag("jit", False),
    }
    if protocol == "OIDC":
        return Provider(
            **common,
            server_url=section.url("server_url", required=True),
            client_id=section.text("client_id", required=True),
            client_secret=section.text("client_secret"),
            token_auth_method=section.choice(
                "token_auth_method", TOKEN_AUTH_METHODS, "client_secret_basic"
            ),
            pkce=pkce,
            scope=section.text("scope", default="openid email profile") or "",
        )
    mapping = _Section(
        section.data.get("attribute_mapping") or {}, f"{section.where}, attribute_mapping"
    )
    unknown = set(mapping.data) - set(MAPPED)
    if unknown:
        raise ConfigError(f"{mapping.where}: unknown key `{sorted(unknown)[0]}`.")
    attributes = {k: mapping.text(k) or "" for k in mapping.data}
    metadata_url = section.url("metadata_url")
    sso_url = section.url("sso_url")
    certificate = section.text("x509_cert")
    if not metadata_url and not (sso_url and certificate):
        raise ConfigError(f"{section.where}: give `metadata_url`, or `sso_url` and `x509_cert`.")
    return Provider(
        **common,
        entity_id=section.text("entity_id", required=True),
        metadata_url=metadata_url,
        sso_url=sso_url,
        x509_cert=certificate,
        attribute_mapping=attributes,
    )


def _social(preset: str, section: _Section, pkce: bool) -> Provider:
    names = {"google": "Google", "github": "GitHub", "amazon-cognito": "Amazon Cognito"}
    if preset == "google":
        server_url = section.url("server_url") or GOOGLE_ISSUER
    elif preset == "amazon-cognito":
        server_url = section.url("server_url") or section.url("domain", required=True) or ""
    else:  # GitHub is OAuth 2 without discovery; server_url moves it (tests, GitHub Enterprise)
        server_url = section.url("server_url") or "https://github.com"
    return Provider(
        id=preset,
        protocol="OIDC",
        name=section.text("name", default=names[preset]) or names[preset],
        social=preset,
        server_url=server_url,
        client_id=section.text("client_id", required=True),
        client_secret=section.text("client_secret", required=True),
        token_auth_method=section.choice(
            "token_auth_method", TOKEN_AUTH_METHODS, "client_secret_basic"
        ),
        pkce=pkce and preset != "github",
        scope="read:user user:email" if preset == "github" else "openid email profile",
        jit=section.flag("jit", False),
        weight=section.number("weight", 10),
    )
