"""Single sign-on and social sign-in (SPEC §8): Gatehouse as a relying party of OpenID Connect
and SAML identity providers, configured in a CVAT-style YAML file (config.py)."""

from flask import Blueprint

bp = Blueprint("sso", __name__)

from app.sso import oidc, routes, saml  # noqa: E402,F401
