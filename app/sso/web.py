"""The HTTP side of a federated sign-in, shared by every protocol (OIDC, SAML, social):
`finish` once a provider's answer was checked, `fail` for every refusal."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from app import audit
from app.auth import second_step
from app.auth import web as auth_web
from app.extensions import db, utcnow
from app.models import User
from app.sso import accounts
from app.sso.config import Provider
from app.transactions import write_transaction
from app.urls import local_path
from app.web import attempt

PENDING = "sso_link"  # the Flask session key of a link waiting for a password sign-in
PENDING_MINUTES = 10


Page = Response | tuple[str, int]


def finish(provider: Provider, said: accounts.Assertion, next_path: str | None) -> Page:
    """Sign the person in (a new session record and cookie), or offer the link to an existing
    account, or refuse; commits."""
    done = attempt(accounts.sign_in, provider, said)
    if done.error is not None:
        error = done.error
        kind = getattr(error, "kind", "refused")
        return fail(provider.id, kind, error.message, status=error.status, message=error.message)
    found = done.value
    if isinstance(found, accounts.Pending):
        session[PENDING] = {
            "user_id": found.user_id,
            "provider": found.provider,
            "subject": found.subject,
            "email": found.email,
            "expires": (utcnow() + timedelta(minutes=PENDING_MINUTES)).timestamp(),
            "next": local_path(next_path),
        }
        flash(
            f"An account with the address {found.email} already exists. Sign in to it once "
            f"with its password to link your {provider.name} sign-in to it.",
            "info",
        )
        return redirect(url_for("auth.login", login=found.email), 303)
    user: User = found
    if not said.second_factor and second_step.needed(user):
        # The provider did not say it checked a second factor (OIDC amr): ours is asked for.
        second_step.begin(user, target=local_path(next_path))
        db.session.commit()
        return redirect(url_for("auth.verify"), 303)
    auth_web.sign_in(user)
    db.session.commit()
    flash(f"Signed in as {user.username} through {provider.name}.", "success")
    return redirect(local_path(next_path) or url_for("main.dashboard"), 303)


def fail(
    provider_id: str,
    kind: str,
    detail: str,
    *,
    status: int = 400,
    message: str | None = None,
) -> tuple[str, int]:
    """One clear page with a 4xx status, an audit event, and nobody signed in."""
    db.session.rollback()
    with write_transaction():  # also from a GET that otherwise only reads (a bad login link)
        audit.record("sso.failed", target=provider_id[:254], detail=f"{kind}: {detail}"[:500])
    page = render_template(
        "sso/failed.html",
        message=message or "The identity provider's answer could not be accepted.",
        kind=kind,
    )
    return page, status


def pending_link() -> accounts.Pending | None:
    """The link waiting for this browser's next password sign-in, if it has not expired."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or data.get("expires", 0) < utcnow().timestamp():
        return None
    return accounts.Pending(data["user_id"], data["provider"], data["subject"], data["email"])


def complete_link(user: User, pending: accounts.Pending | None) -> None:
    """After a password sign-in: link the identity offered before it, when it is this account's.
    The caller commits."""
    if pending is not None and accounts.link(user, pending) is not None:
        flash("Your single sign-on identity is now linked: use it to sign in next time.", "success")
