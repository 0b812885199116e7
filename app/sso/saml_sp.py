"""SAML 2.0 protocol work for the service provider, through python3-saml in strict mode: the
settings per provider, the identity provider's metadata (fetched and cached), the outstanding
AuthnRequests and the assertion ids already accepted. The routes are in saml.py.

python3-saml checks the signature (assertions must be signed; deprecated algorithms refused),
the audience, recipient, destination, InResponseTo and the time conditions. What it leaves to us:
knowing which request ids are outstanding (the response comes back by a cross-site POST without
our cookie, so they are rows, not session data) and accepting each assertion id once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Request, url_for
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db, utcnow
from app.models import SsoRequest, UsedAssertion
from app.sso.accounts import Assertion
from app.sso.config import Provider

REQUEST_MINUTES = 10
ASSERTION_FALLBACK = timedelta(hours=1)  # kept this long when the assertion states no end
METADATA_TTL = 3600.0
METADATA_TIMEOUT = 5
SWEEP_BATCH = 100
TRUE = {"true", "1"}

_metadata: dict[tuple[str, str], tuple[float, dict]] = {}
_metadata_lock = threading.Lock()


class SamlError(Exception):
    """A SAML exchange that cannot go on; `kind` goes to the audit log, the text is the detail."""

    def __init__(self, kind: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.kind, self.detail, self.status = kind, detail, status


def idp_settings(provider: Provider) -> dict:
    """The identity provider's part of the settings: from its metadata URL (cached for an hour
    per process), or from the configured sso_url and x509_cert."""
    if not provider.metadata_url:
        return {
            "entityId": provider.entity_id,
            "singleSignOnService": {"url": provider.sso_url, "binding": Saml.BINDING_HTTP_REDIRECT},
            "x509cert": provider.x509_cert,
        }
    key = (provider.metadata_url, provider.entity_id or "")
    with _metadata_lock:
        cached = _metadata.get(key)
        if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
            return cached[1]
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse_remote(
            provider.metadata_url, entity_id=provider.entity_id, timeout=METADATA_TIMEOUT
        )
    except Exception as exc:  # network, TLS, XML: all mean no usable metadata
        raise SamlError("metadata", f"{provider.metadata_url}: {exc}", status=502) from None
    idp = parsed.get("idp")
    if not idp or idp.get("entityId") != provider.entity_id:
        detail = f"{provider.metadata_url} does not describe {provider.entity_id}"
        raise SamlError("metadata", detail, status=502)
    with _metadata_lock:
        _metadata[key] = (time.monotonic(), idp)
    return idp


def settings(provider: Provider) -> dict:
    """python3-saml settings for one provider; our entity id is our metadata URL."""
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": url_for("sso.saml_metadata", idp=provider.id, _external=True),
            "assertionConsumerService": {
                "url": url_for("sso.saml_acs", idp=provider.id, _external=True),
                "binding": Saml.BINDING_HTTP_POST,
            },
            "NameIDFormat": Saml.NAMEID_UNSPECIFIED,
            "x509cert": "",
            "privateKey": "",
        },
        "idp": idp_settings(provider),
        "security": {
            "authnRequestsSigned": False,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": False,
        },
    }


def request_data(request: Request) -> dict:
    """What python3-saml knows of the request; ProxyFix has set the scheme and host already."""
    return {
        "https": "on" if request.scheme == "https" else "off",
        "http_host": request.host,
        "script_name": request.script_root + request.path,
        "get_data": request.args.to_dict(),
        "post_data": request.form.to_dict(),
    }


def metadata(provider: Provider) -> str:
    """Our SP metadata for `provider`, checked by python3-saml before it is served."""
    sp = OneLogin_Saml2_Settings(settings(provider), sp_validation_only=True)
    xml = sp.get_sp_metadata()
    errors = sp.validate_metadata(xml)
    if errors:
        raise SamlError("metadata", f"our SP metadata is invalid: {', '.join(errors)}", 500)
    return xml.decode() if isinstance(xml, bytes) else xml


def begin(provider: Provider, request: Request, next_path: str | None) -> str:
    """The identity provider's URL carrying a new AuthnRequest; its id is remembered with where
    to go after. RelayState carries only the local path, and is never followed (see finish)."""
    auth = OneLogin_Saml2_Auth(request_data(request), settings(provider))
    url = auth.login(return_to=next_path or "/")
    db.session.add(
        SsoRequest(
            id=auth.get_last_request_id(),
            provider=provider.id,
            next_path=next_path,
            expires_at=utcnow() + timedelta(minutes=REQUEST_MINUTES),
        )
    )
    return url


@dataclass(frozen=True)
class Answer:
    said: Assertion
    next_path: str | None


def answer(provider: Provider, request: Request) -> Answer:
    """Check the POSTed SAMLResponse; the assertion it carries, accepted once. Raises SamlError.
    Commits twice: the request id is spent, and the assertion id used, whatever follows."""
    saml_settings = settings(provider)
    data = request_data(request)
    encoded = data["post_data"].get("SAMLResponse")
    if not encoded:
        raise SamlError("no response", "the POST carried no SAMLResponse")
    try:
        in_response_to = OneLogin_Saml2_Response(
            OneLogin_Saml2_Settings(saml_settings), encoded
        ).get_in_response_to()
    except Exception as exc:  # bad base64, not XML, not a Response
        raise SamlError("malformed", f"unreadable SAMLResponse: {exc}") from None
    outstanding = _spend_request(provider, in_response_to)
    auth = OneLogin_Saml2_Auth(data, saml_settings)
    try:
        auth.process_response(request_id=outstanding.id)
    except Exception as exc:
        raise SamlError("invalid response", str(exc)) from None
    if auth.get_errors() or not auth.is_authenticated():
        reason = auth.get_last_error_reason() or ", ".join(auth.get_errors()) or "not authenticated"
        raise SamlError("invalid response", reason)
    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    _use_assertion(provider, auth.get_last_assertion_id(), not_on_or_after)
    return Answer(said=_assertion(provider, auth), next_path=outstanding.next_path)


def _spend_request(provider: Provider, request_id: str | None) -> SsoRequest:
    """The outstanding AuthnRequest this response answers, deleted (single use) and committed,
    so neither a replay nor a refusal further on can use it again."""
    sweep()
    if not request_id:
        db.session.commit()
        raise SamlError("unsolicited", "the response answers no request of ours (no InResponseTo)")
    found = db.session.scalar(
        select(SsoRequest).where(SsoRequest.id == request_id[:128]).with_for_update()
    )
    if found is None or found.provider != provider.id or found.expires_at < utcnow():
        db.session.commit()
        raise SamlError("unknown request", f"InResponseTo {request_id[:128]} is unknown or expired")
    db.session.delete(found)
    db.session.commit()
    return found


def _use_assertion(provider: Provider, assertion_id: str | None, not_on_or_after: Any) -> None:
    """Accept this assertion id once: a second time is a replay. The primary key is the final
    guard between two requests at once; the check before it answers the common case."""
    if not assertion_id:
        raise SamlError("invalid response", "the assertion has no ID")
    if db.session.get(UsedAssertion, assertion_id) is not None:
        raise SamlError("replay", f"assertion {assertion_id[:100]} was accepted before")
    expires = (
        datetime.fromtimestamp(not_on_or_after, utcnow().tzinfo)
        if isinstance(not_on_or_after, int | float)
        else utcnow() + ASSERTION_FALLBACK
    )
    db.session.add(UsedAssertion(id=assertion_id, provider=provider.id, expires_at=expires))
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same assertion accepted meanwhile, by another request
        db.session.rollback()
        raise SamlError("replay", f"assertion {assertion_id[:100]} was accepted before") from exc


def _assertion(provider: Provider, auth: OneLogin_Saml2_Auth) -> Assertion:
    """The checked assertion's attributes through the provider's attribute_mapping."""
    mapping = provider.attribute_mapping

    def value(key: str) -> str | None:
        values = auth.get_attribute(mapping[key]) if mapping.get(key) else None
        first = values[0] if values else None
        return first.strip() if isinstance(first, str) and first.strip() else None

    if mapping.get("uid"):
        subject = value("uid")
    elif auth.get_nameid_format() == Saml.NAMEID_PERSISTENT:
        subject = auth.get_nameid()
    else:
        subject = None  # a transient or unspecified NameID names nobody for long
    if not subject:
        raise SamlError("no subject", "the assertion carries no stable subject (mapped uid)")
    names = [n for n in (value("first_name"), value("last_name")) if n]
    return Assertion(
        subject=subject,
        email=value("email"),
        email_verified=(value("email_verified") or "").lower() in TRUE,
        username=value("username"),
        display_name=" ".join(names) or None,
    )


def sweep() -> None:
    """Delete a bounded number of expired request and assertion rows (on each response)."""
    now = utcnow()
    for model in (SsoRequest, UsedAssertion):
        expired = select(model.id).where(model.expires_at < now).limit(SWEEP_BATCH)
        db.session.execute(delete(model).where(model.id.in_(expired.scalar_subquery())))
