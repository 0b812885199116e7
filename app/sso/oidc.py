"""OpenID Connect and social sign-in routes (SPEC §8). The protocol is in oidc_client.py (and
github.py); these routes keep the flow's secrets in the session and hand the checked answer to
web.finish, or every failure to web.fail."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, redirect, request, session, url_for

from app.sso import bp, config, github, oidc_client, web
from app.sso.config import Provider
from app.transactions import writes
from app.urls import local_path

SESSION_PREFIX = "sso_flow:"  # + provider id: state, nonce, PKCE verifier, next path


@bp.get("/auth/oidc/<idp>/login")
def oidc_login(idp: str):
    provider = config.current().provider("OIDC", idp) or abort(404)
    return _start(provider, url_for("sso.oidc_callback", idp=idp, _external=True))


@bp.get("/auth/oidc/<idp>/login/callback")
@writes  # signs in: a session record, an identity, perhaps an account
def oidc_callback(idp: str):
    provider = config.current().provider("OIDC", idp) or abort(404)
    callback = url_for("sso.oidc_callback", idp=idp, _external=True)
    return _finish(provider, callback, oidc_client.complete)


@bp.get("/auth/social/<provider>/login")
def social_login(provider: str):
    preset = config.current().social.get(provider) or abort(404)
    callback = url_for("sso.social_callback", provider=provider, _external=True)
    authorize = github.urls(preset)[0] if preset.social == "github" else None
    return _start(preset, callback, authorize)


@bp.get("/auth/social/<provider>/login/callback")
@writes
def social_callback(provider: str):
    preset = config.current().social.get(provider) or abort(404)
    callback = url_for("sso.social_callback", provider=provider, _external=True)
    check = github.complete if preset.social == "github" else oidc_client.complete
    return _finish(preset, callback, check)


def _start(provider: Provider, callback: str, authorize: str | None = None) -> web.Page:
    try:
        url, saved = oidc_client.begin(provider, callback, authorize)
    except oidc_client.Failure as exc:
        return _fail(provider, exc)
    session[SESSION_PREFIX + provider.id] = {**saved, "next": local_path(request.args.get("next"))}
    return redirect(url)


def _finish(provider: Provider, callback: str, check: Callable) -> web.Page:
    saved = session.pop(SESSION_PREFIX + provider.id, None)  # a replayed callback finds nothing
    try:
        said = check(provider, saved, request.args, callback)
    except oidc_client.Failure as exc:
        return _fail(provider, exc)
    return web.finish(provider, said, saved.get("next") if isinstance(saved, dict) else None)


def _fail(provider: Provider, exc: oidc_client.Failure) -> web.Page:
    return web.fail(provider.id, exc.kind, exc.detail, status=exc.status, message=exc.message)
