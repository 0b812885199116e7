"""SAML 2.0 service provider routes (SPEC §8); the protocol work is in saml_sp.py."""

from __future__ import annotations

from flask import abort, redirect, request

from app.extensions import csrf
from app.sso import bp, config, saml_sp
from app.sso import web as sso_web
from app.sso.config import Provider
from app.transactions import writes
from app.urls import local_path


def _provider(idp: str) -> Provider:
    provider = config.current().provider("SAML", idp)
    if provider is None:
        abort(404)
    return provider


@bp.get("/auth/saml/<idp>/login")
@writes  # remembers the AuthnRequest's id
def saml_login(idp: str):
    provider = _provider(idp)
    try:
        url = saml_sp.begin(provider, request, local_path(request.args.get("next")))
    except saml_sp.SamlError as exc:
        return sso_web.fail(idp, exc.kind, exc.detail, status=exc.status)
    return redirect(url, 302)


@bp.get("/auth/saml/<idp>/metadata")
def saml_metadata(idp: str):
    provider = _provider(idp)
    try:
        xml = saml_sp.metadata(provider)
    except saml_sp.SamlError as exc:
        return sso_web.fail(idp, exc.kind, exc.detail, status=exc.status)
    return xml, 200, {"Content-Type": "application/samlmetadata+xml"}


@bp.post("/auth/saml/<idp>/acs")
@csrf.exempt  # a cross-site POST from the identity provider; its signature protects it
def saml_acs(idp: str):
    provider = _provider(idp)
    try:
        answer = saml_sp.answer(provider, request)
    except saml_sp.SamlError as exc:
        return sso_web.fail(idp, exc.kind, exc.detail, status=exc.status)
    return sso_web.finish(provider, answer.said, answer.next_path)
