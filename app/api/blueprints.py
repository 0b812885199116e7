"""The Api object and what every API blueprint shares: no CSRF (a cookie never authenticates
the API, SPEC §9), a rate limit per token with its RateLimit headers, errors as problem details."""

from __future__ import annotations

import time
from http import HTTPStatus

import flask_smorest
from flask import Response, current_app
from flask_smorest.utils import prepare_response

from app.api import bearer, schemas
from app.api.problems import PROBLEM
from app.extensions import csrf, limiter

POLICY = "per-token"


class Api(flask_smorest.Api):
    """flask-smorest's Api, with the errors documented as problem details and answered by
    app/errors.py (its own JSON error handler would also answer the HTML pages' errors)."""

    ERROR_SCHEMA = schemas.Problem

    def _register_error_handlers(self) -> None:
        pass

    def _register_responses(self) -> None:
        for status in HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {
            "description": "The problem, as RFC 9457 problem details",
            "schema": self.ERROR_SCHEMA,
        }
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


api = Api(
    spec_kwargs={
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access or service token (gth_…), from "
                    "/account/tokens or /admin/tokens.",
                }
            }
        },
        "security": [{"token": []}],
    }
)


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _rate_headers(response: Response) -> Response:
    """The limit this request counted against, as draft-ietf-httpapi-ratelimit-headers says."""
    limit = limiter.current_limit
    if limit is not None:
        window = limit.limit.get_expiry()
        response.headers["RateLimit-Policy"] = f'"{POLICY}";q={limit.limit.amount};w={window}'
        left = max(0, limit.reset_at - int(time.time()))
        response.headers["RateLimit"] = f'"{POLICY}";r={limit.remaining};t={left}'
    return response


def _authenticate() -> None:
    bearer.authenticate()


def blueprint(name: str, import_name: str, url_prefix: str, description: str):
    """An API blueprint under /api/v1."""
    blp = flask_smorest.Blueprint(
        name, import_name, url_prefix=bearer.API_PREFIX + url_prefix, description=description
    )
    csrf.exempt(blp)
    # One allowance per token for the whole API: a limit per blueprint would multiply it.
    limiter.shared_limit(_rate_limit, scope="api", key_func=bearer.rate_key)(blp)
    blp.before_request(_authenticate)  # before the body is read: no token, no 422
    blp.after_request(_rate_headers)
    return blp
