"""OpenID Connect and social sign-in through Authlib (placeholder until the protocol lands)."""

from __future__ import annotations

from flask import abort

from app.sso import bp


@bp.get("/auth/oidc/<idp>/login")
def oidc_login(idp: str):
    abort(404)


@bp.get("/auth/oidc/<idp>/login/callback")
def oidc_callback(idp: str):
    abort(404)


@bp.get("/auth/social/<provider>/login")
def social_login(provider: str):
    abort(404)


@bp.get("/auth/social/<provider>/login/callback")
def social_callback(provider: str):
    abort(404)
