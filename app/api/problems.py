"""Errors of machine requests as JSON: RFC 9457 problem details for /api/v1, RFC 7644 §3.12
error messages for /scim/v2. app/errors.py and app/web.py call `answer` for those paths, so a
404, 405, 413, 429, 500 or 503 of a machine request is never an HTML page."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, json, request

from app.api.bearer import SCIM_PREFIX
from app.errors import MESSAGES

PROBLEM = "application/problem+json"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _title(status: int) -> str:
    if status in MESSAGES:
        return MESSAGES[status][0]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def answer(
    status: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """The error response of a machine request: `detail` says what went wrong, in words."""
    detail = detail or (MESSAGES.get(status) or MESSAGES[500])[1]
    if request.path.startswith(SCIM_PREFIX):
        body: dict[str, Any] = {"schemas": [SCIM_ERROR], "status": str(status), "detail": detail}
        mimetype = "application/scim+json"
    else:
        body = {"type": "about:blank", "title": _title(status), "status": status}
        body |= {"detail": detail, **{k: v for k, v in extensions.items() if v is not None}}
        mimetype = PROBLEM
    response = Response(json.dumps(body), status=status, mimetype=mimetype)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
