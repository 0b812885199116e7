"""Passkeys (WebAuthn, SPEC §10) with py_webauthn: register several, name, remove, and prove
who someone is, alone (a discoverable credential) or after a password. User verification (a PIN
or a biometric on the authenticator) is required every time, so a passkey is two factors in one.

The relying party is BASE_URL's host when BASE_URL was set (config BASE_URL_SET), otherwise
the request's host: the routes pass that in (`relying_party(request.host_url)`), and keep the
challenges in the cookie session (app/auth/ceremony.py). Signing in with a passkey is
passkey_signin.py. Plain arguments in, a change (audited) or a DomainError out; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from flask import current_app
from sqlalchemy import select
from webauthn.helpers import parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from app import audit, integrity, mail, settings
from app.account.services import check_current_password
from app.auth import factors
from app.errors import DomainError, NotFound
from app.extensions import db
from app.models import Passkey, User
from app.models.factor import PASSKEY_NAME_MAX as NAME_MAX

TIMEOUT_MS = 120_000
# What a browser can send that py_webauthn (or base64 and JSON under it) refuses with its own
# exception types: each means "not a valid passkey answer", never a server error.
MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, RecursionError)
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str
    name: str


def relying_party(request_host_url: str) -> RelyingParty:
    """BASE_URL's host and origin when it was set, else the request's (SPEC §10)."""
    config = current_app.config
    parts = urlsplit(config["BASE_URL"] if config.get("BASE_URL_SET") else request_host_url)
    netloc = parts.netloc.rpartition("@")[2].lower()
    # An origin names its port only when it is not the scheme's default, as browsers write it.
    default = f":{_DEFAULT_PORTS.get(parts.scheme)}"
    if netloc.endswith(default):
        netloc = netloc.removesuffix(default)
    origin = f"{parts.scheme}://{netloc}"
    return RelyingParty(parts.hostname or "", origin, settings.get("site_name"))


def user_handle(user: User) -> bytes:
    """The id the authenticator keeps with the credential: the account's number, nothing
    personal (the WebAuthn spec asks for no name or address here)."""
    return str(user.id).encode()


def descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    found = []
    for passkey in factors.passkeys_of(user):
        transports = [
            AuthenticatorTransport(t)
            for t in (passkey.transports or "").split(",")
            if t in AuthenticatorTransport._value2member_map_
        ]
        found.append(PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports))
    return found


# ---- registration -----------------------------------------------------------------------------


def registration_options(user: User, rp: RelyingParty) -> tuple[str, bytes]:
    """The JSON for navigator.credentials.create() and its challenge: a discoverable credential
    (so it alone can sign in), user verification required, none of the person's own again."""
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle(user),
        user_name=user.email or user.username,
        user_display_name=user.display_name,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=descriptors(user),
    )
    return webauthn.options_to_json(options), options.challenge


def _clean_name(user: User, name: str | None) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise DomainError(f"Use at most {NAME_MAX} characters for the name.", field="name")
    return name or f"Passkey {factors.passkey_count(user) + 1}"


def _verified(
    rp: RelyingParty, challenge: bytes | None, credential: str
) -> tuple[RegistrationCredential, VerifiedRegistration]:
    if challenge is None:
        raise DomainError("That took too long or was sent twice. Add the passkey again.")
    try:
        parsed = parse_registration_credential_json(credential)
        verified = webauthn.verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except MALFORMED as exc:
        current_app.logger.info("passkey registration refused: %s", exc)
        raise DomainError(
            "The passkey could not be added: the authenticator did not confirm it was you "
            "(a PIN, fingerprint or face), or the answer was not valid. Try again."
        ) from None
    return parsed, verified


def add(
    user: User, rp: RelyingParty, challenge: bytes | None, credential: str, name: str | None
) -> tuple[Passkey, list[str]]:
    """Keep a new passkey; returns it and new recovery codes to show once (none if the person
    still has unused ones), as when an authenticator app is set up."""
    label = _clean_name(user, name)
    parsed, verified = _verified(rp, challenge, credential)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)):
        raise integrity.taken("uq_passkeys_credential_id")  # the constraint guards a race
    passkey = Passkey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=label,
        transports=",".join(t.value for t in parsed.response.transports or [])[:200] or None,
    )
    db.session.add(passkey)
    db.session.flush()
    factors.refresh(user)
    # factors keeps how codes are made; a passkey comes with them as the app does.
    codes = [] if factors.recovery_left(user) else factors.new_codes(user)
    audit.record("factor.passkey_added", user, target_user=user, detail=label)
    mail.notify_security_change(user, f"A passkey ({label}) was added to your account.")
    return passkey, codes


def _own(user: User, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound("That passkey does not exist.")
    return passkey


def rename(user: User, passkey_id: int, name: str) -> Passkey:
    passkey = _own(user, passkey_id)
    label = _clean_name(user, name) if name.strip() else passkey.name
    passkey.name = label
    return passkey


def remove(user: User, passkey_id: int, password: str) -> None:
    """Asks for the password, as removing the app does: a session left open is not enough to
    take a factor away. The last factor gone, recovery codes and remembered devices go too."""
    check_current_password(user, password)
    passkey = _own(user, passkey_id)
    name = passkey.name
    db.session.delete(passkey)
    db.session.flush()
    factors.refresh(user)
    if user.second_factor_at is None:
        factors.forget_backups(user)
    audit.record("factor.passkey_removed", user, target_user=user, detail=name)
    mail.notify_security_change(user, f"The passkey {name} was removed from your account.")
