"""SAML 2.0 service provider through python3-saml (placeholder until the protocol lands)."""

from __future__ import annotations

from flask import abort

from app.extensions import csrf
from app.sso import bp


@bp.get("/auth/saml/<idp>/login")
def saml_login(idp: str):
    abort(404)


@bp.get("/auth/saml/<idp>/metadata")
def saml_metadata(idp: str):
    abort(404)


@bp.post("/auth/saml/<idp>/acs")
@csrf.exempt  # a cross-site POST from the identity provider; its signature protects it
def saml_acs(idp: str):
    abort(404)
