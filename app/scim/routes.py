"""/scim/v2: one view hands every request to scim2-server's handler over our storage.

The protocol (routing, validation, PATCH, ETags, discovery, errors) is scim2-server's; ours are
the authentication, the transaction and the storage. A token with the scope `scim` is needed,
and its acting user must be an administrator now (a demoted administrator's token stops
working); `/ServiceProviderConfig` needs none (RFC 7644 §4). No CSRF (no cookie is read on
/scim/v2, see bearer.is_machine_request), a rate limit per token as on the API.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request
from scim2_models import SCIMException, UniquenessException
from scim2_server.applications.base import BaseApplication
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from sqlalchemy.exc import IntegrityError

from app import integrity
from app.api import bearer
from app.api.blueprints import _rate_headers, _rate_limit  # the API's limit and its headers
from app.errors import Forbidden
from app.extensions import csrf, db, limiter
from app.scim import schema
from app.scim.storage import GatehouseStorage
from app.transactions import SAFE_METHODS

bp = Blueprint("scim", __name__, url_prefix=bearer.SCIM_PREFIX)
csrf.exempt(bp)
limiter.limit(_rate_limit, key_func=bearer.rate_key)(bp)
bp.after_request(_rate_headers)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class Application(BaseApplication):
    """scim2-server's framework-free application: its service and a handler on our storage."""

    def __init__(self) -> None:
        provider = schema.provider()
        super().__init__(provider, ScimService(provider))
        self.handler = ScimHandler(self.service, GatehouseStorage())

    def check_auth(self, request: ScimRequest) -> None:
        caller = bearer.require("scim")  # raises 401 / 403, answered by app/web.py
        if not caller.user.is_admin:
            raise Forbidden("Only administrators' tokens may provision accounts.")


def _application() -> Application:
    found = current_app.extensions.get("scim")
    if found is None:
        found = current_app.extensions["scim"] = Application()
    return found


def _scim_request(application: Application, rest: str) -> ScimRequest:
    return ScimRequest(
        method=request.method,
        base_url=request.url_root.rstrip("/") + bearer.SCIM_PREFIX,
        path=application.split_path("/" + rest),
        query=request.args.to_dict(),
        headers=list(request.headers.items()),
    )


@bp.route("", defaults={"rest": ""}, methods=METHODS)
@bp.route("/<path:rest>", methods=METHODS)
def serve(rest: str) -> Response:
    application = _application()
    scim_request = _scim_request(application, rest)
    try:
        if application.needs_auth(scim_request):  # needs_auth routes: a 404 or 405 comes first
            application.check_auth(scim_request)  # before the body is read
        scim_request.body = request.get_data()
        response = application.handler.handle(scim_request)
    except SCIMException as exc:
        response = application.handle_exception(scim_request, exc)
    response = _end_transaction(application, response)
    return _flask_response(application.finalize_response(scim_request, response))


def _end_transaction(application: Application, response: ScimResponse) -> ScimResponse:
    """Commit a successful write; anything else is rolled back by the request's teardown."""
    if request.method in SAFE_METHODS:
        return response
    if response.status >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent request took the name first (PostgreSQL)
        db.session.rollback()
        refusal = integrity.refusal_for(exc)
        if refusal is None:
            raise
        return application.service.error_response(UniquenessException(detail=refusal.message))
    return response


def _flask_response(response: ScimResponse) -> Response:
    body = "" if response.body is None else json.dumps(response.body)
    return Response(body, status=int(response.status), headers=response.headers)
