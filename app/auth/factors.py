"""Second factors (SPEC §10): the authenticator app (TOTP), recovery codes, and what every
factor change shares. Passkeys are app/auth/passkeys.py, remembered devices devices.py, who
must enroll enforcement.py. Plain arguments in, a change (audited) or a DomainError out;
callers commit.
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from app import audit, mail, settings
from app.account.services import check_current_password
from app.auth import sessions
from app.errors import DomainError
from app.extensions import db, utcnow
from app.models import Passkey, RecoveryCode, RememberedDevice, User

INTERVAL = 30
DIGITS = 6
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed from paper


def has_app(user: User) -> bool:
    return user.totp_confirmed_at is not None


def has_second_factor(user: User) -> bool:
    """Whether sign-in asks for a second factor: no query (users.second_factor_at)."""
    return user.second_factor_at is not None


def passkey_count(user: User) -> int:
    return db.session.scalar(select(func.count(Passkey.id)).where(Passkey.user_id == user.id)) or 0


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)
        )
    )


def refresh(user: User) -> None:
    """Keep users.second_factor_at true to the factors the person has, after any change."""
    has_any = has_app(user) or passkey_count(user) > 0
    if has_any and user.second_factor_at is None:
        user.second_factor_at = utcnow()
        user.factor_deadline = None
    elif not has_any:
        user.second_factor_at = None


# ---- the authenticator app --------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def begin_app(user: User) -> str:
    """A new key for the app, not in use until a code confirms it; returns the key."""
    if has_app(user):
        raise DomainError("An authenticator app is already set up. Remove it first.")
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI the QR code carries (Key Uri Format)."""
    assert user.totp_secret is not None
    name = user.email or user.username
    return _totp(user.totp_secret).provisioning_uri(
        name=name, issuer_name=settings.get("site_name")
    )


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG, drawn here: the key never leaves for another service."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff", border=2)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code of the key" ', 1))


def _matching_step(secret: str, code: str) -> int | None:
    """The time step `code` belongs to: the current one, or the one before or after (a phone's
    clock may be 30 s off), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = int(utcnow().timestamp()) // INTERVAL
    totp = _totp(secret)
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_step(user: User, step: int) -> bool:
    """Record `step` as used, once: a code (or an earlier one) seen before is refused, also
    when two requests bring the same code at once (a conditional UPDATE decides)."""
    done = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    db.session.flush()
    return True


def confirm_app(user: User, code: str) -> list[str]:
    """Turn the app on with a code it shows; returns new recovery codes, to show once (none if
    the person still has unused ones)."""
    if has_app(user) or user.totp_secret is None:
        raise DomainError("Start again: scan the new code first.", field="code")
    step = _matching_step(user.totp_secret, code)
    if step is None or not _accept_step(user, step):
        raise DomainError(
            "That code is not right. Type the 6 digits the app shows now.", field="code"
        )
    user.totp_confirmed_at = utcnow()
    refresh(user)
    codes = [] if recovery_left(user) else new_codes(user)
    audit.record("factor.app_added", user, target_user=user)
    mail.notify_security_change(user, "An authenticator app was added to your account.")
    return codes


def remove_app(user: User, password: str) -> None:
    check_current_password(user, password)
    if not has_app(user):
        raise DomainError("There is no authenticator app to remove.")
    user.totp_secret = None
    user.totp_confirmed_at = None
    refresh(user)
    if user.second_factor_at is None:
        forget_backups(user)
    audit.record("factor.app_removed", user, target_user=user)
    mail.notify_security_change(user, "The authenticator app was removed from your account.")


def check_code(user: User, code: str) -> bool:
    """A code of the person's app, accepted once; False otherwise (the caller audits)."""
    if not has_app(user) or user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code)
    return step is not None and _accept_step(user, step)


# ---- recovery codes ---------------------------------------------------------------------------


def _normal(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _code_hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{_normal(code)}".encode()).hexdigest()


def new_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))  # 49 bits
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user, raw)))
    return codes


def regenerate_codes(user: User, password: str) -> list[str]:
    check_current_password(user, password)
    if not has_second_factor(user):
        raise DomainError("Recovery codes come with an authenticator app or a passkey.")
    codes = new_codes(user)
    audit.record("factor.codes_regenerated", user, target_user=user)
    return codes


def recovery_left(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code; of two requests with the same code, one succeeds."""
    if len(_normal(code)) != 10:
        return False
    done = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    left = recovery_left(user)
    audit.record("factor.recovery_code_used", user, target_user=user, detail=f"{left} left")
    return True


def forget_backups(user: User) -> None:
    """No factor left: recovery codes and remembered devices lose their meaning."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(
        update(RememberedDevice)
        .where(RememberedDevice.user_id == user.id, RememberedDevice.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def reset(actor: User, user: User) -> int:
    """An administrator removes every factor of a person who lost them: app, passkeys, codes
    and remembered devices go, every session ends; returns the sessions ended."""
    if actor.id == user.id:
        raise DomainError("You cannot reset your own second factors; remove them yourself.")
    user.totp_secret = None
    user.totp_confirmed_at = None
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    forget_backups(user)
    user.second_factor_at = None
    ended = sessions.end_all(user, "second factors reset")
    audit.record("admin.factors_reset", actor, target_user=user, detail=f"sessions ended: {ended}")
    mail.notify_security_change(user, "An administrator removed your second factors.")
    return ended
