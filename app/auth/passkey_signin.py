"""Proving a passkey at sign-in (SPEC §10): alone, as a discoverable credential found by its id,
or as the second factor of the person half way through signing in. User verification is
required; the signature counter is kept and checked.

The counter rule: an assertion whose counter did not move forward while both the stored and
the new counter are non-zero is refused, and the audit says a cloned authenticator may be the
cause. A counter of 0 means the authenticator does not count (synced passkeys): accepted, and
the stored counter never goes down. Plain arguments in, a Passkey or PasskeyRefused out; the
caller audits a refusal and commits.
"""

from __future__ import annotations

import webauthn
from sqlalchemy import select
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.structs import AuthenticationCredential, UserVerificationRequirement

from app import audit
from app.auth.passkeys import MALFORMED, TIMEOUT_MS, RelyingParty, descriptors, user_handle
from app.errors import DomainError
from app.extensions import db, utcnow
from app.models import Passkey, User


class PasskeyRefused(DomainError):
    """The browser's answer does not prove a passkey; `reason` is for the audit log, `user`
    the account it named, when it named one of ours."""

    status = 401

    def __init__(self, reason: str, user: User | None = None) -> None:
        super().__init__("That passkey could not be verified. Try again, or sign in another way.")
        self.reason = reason[:200]
        self.user = user


def options(rp: RelyingParty, user: User | None = None) -> tuple[str, bytes]:
    """The JSON for navigator.credentials.get() and its challenge: for the second step the
    pending person's passkeys; for a passkey alone none, so the authenticator offers its own."""
    found = webauthn.generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=descriptors(user) if user is not None else None,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return webauthn.options_to_json(found), found.challenge


def went_backwards(stored: int, new: int) -> bool:
    """Both count and the new one is not ahead: two authenticators hold one key."""
    return bool(stored and new and new <= stored)


def _parse(credential: str) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential)
    except MALFORMED as exc:
        raise PasskeyRefused(f"malformed answer: {exc}") from None


def _verify(passkey: Passkey, user: User, rp: RelyingParty, challenge: bytes | None, parsed):
    if challenge is None:
        raise PasskeyRefused("no challenge: expired, or the answer was sent twice", user)
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # the counter rule is went_backwards, below
            require_user_verification=True,
        )
    except MALFORMED as exc:
        raise PasskeyRefused(f"{passkey.name}: {exc}", user) from None
    stored, new = passkey.sign_count, verified.new_sign_count
    if went_backwards(stored, new):
        raise PasskeyRefused(
            f"{passkey.name}: signature counter went backwards ({stored}, then {new}): "
            "possibly a cloned authenticator",
            user,
        )
    passkey.sign_count = max(stored, new)
    passkey.last_used_at = utcnow()


def sign_in(rp: RelyingParty, challenge: bytes | None, credential: str) -> User:
    """A passkey alone: the account whose passkey answered, signed in by the caller."""
    parsed = _parse(credential)
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == parsed.raw_id))
    if passkey is None:
        raise PasskeyRefused("unknown passkey")
    user = db.session.get(User, passkey.user_id)
    assert user is not None  # the foreign key
    handle = parsed.response.user_handle
    if handle is not None and handle != user_handle(user):
        raise PasskeyRefused(f"{passkey.name}: the user handle is another account's", user)
    _verify(passkey, user, rp, challenge, parsed)
    if user.is_disabled:
        raise PasskeyRefused("disabled", user)
    # As a password that is right does (auth/services.py), and the log says how.
    user.failed_logins = 0
    user.last_failed_login_at = None
    user.last_login_at = utcnow()
    audit.record("login.ok", user, target_user=user, detail="passkey")
    return user


def second_factor(user: User, rp: RelyingParty, challenge: bytes | None, credential: str) -> None:
    """One of `user`'s own passkeys after the password; anyone else's is refused."""
    parsed = _parse(credential)
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == parsed.raw_id, Passkey.user_id == user.id)
    )
    if passkey is None:
        raise PasskeyRefused("not a passkey of this account", user)
    _verify(passkey, user, rp, challenge, parsed)
