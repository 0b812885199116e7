"""The challenge of a WebAuthn ceremony, kept in the signed cookie session between the options
and the answer: single use (taken out when read), for one purpose, and only for a few minutes.

The cookie is signed, not secret; a challenge need not be secret, only fresh and tied to this
browser. A sign-in clears the whole cookie session (web.sign_in), challenges included.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from flask import request, session
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from app.auth.passkeys import RelyingParty

CREDENTIAL_MAX = 16_384  # an assertion is well under 2 kB; a registration with attestation 8 kB
LIFETIME = 300  # the browser's own timeout is two minutes (passkeys.TIMEOUT_MS)
PURPOSES = ("register", "login", "verify")


def relying_party() -> RelyingParty:
    # Imported here: passkeys needs app.account, whose routes import this module.
    from app.auth import passkeys

    return passkeys.relying_party(request.host_url)


def json_answer(options: str) -> Response:
    return Response(options, mimetype="application/json")


def _key(purpose: str) -> str:
    assert purpose in PURPOSES
    return f"webauthn_{purpose}"


def remember(purpose: str, challenge: bytes) -> None:
    session[_key(purpose)] = {"c": bytes_to_base64url(challenge), "at": int(time.time())}


def take(purpose: str) -> bytes | None:
    """The challenge given for `purpose`, once; None if there is none or it is too old."""
    state = session.pop(_key(purpose), None)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > LIFETIME:
        return None
    try:
        return base64url_to_bytes(str(state["c"]))
    except (KeyError, ValueError):
        return None
