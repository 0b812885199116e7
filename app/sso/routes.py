"""Routes every protocol shares: "Continue with SSO", the person's identities, the admin's
overview. The protocols' own routes are in oidc.py and saml.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.forms import email_field
from app.sso import accounts, bp, config
from app.sso.config import Provider
from app.urls import local_path
from app.web import attempt


class SsoForm(FlaskForm):
    email = email_field("Work email")


def start_url(provider: Provider, next_path: str | None = None) -> str:
    """Where the browser goes to begin a sign-in with `provider`."""
    target = local_path(next_path)
    if provider.social:
        return url_for("sso.social_login", provider=provider.social, next=target)
    if provider.protocol == "SAML":
        return url_for("sso.saml_login", idp=provider.id, next=target)
    return url_for("sso.oidc_login", idp=provider.id, next=target)


@bp.app_context_processor
def sso_context() -> dict:
    """What the sign-in and sign-up pages show: the SSO button and the social ones."""

    def choices() -> dict:
        found = config.current()
        return {
            "enterprise": found.enabled and bool(found.providers),
            "social": [(p, start_url(p, request.args.get("next"))) for p in found.social.values()],
        }

    return {"sso_choices": choices}


def _weight(provider: Provider) -> tuple[int, str]:
    return provider.weight, provider.id


@bp.route("/login/sso", methods=["GET", "POST"])
def continue_with_sso():
    found = config.current()
    if not (found.enabled and found.providers):
        abort(404)
    form = SsoForm()
    next_path = local_path(request.args.get("next"))
    if found.selection_mode == "lowest_weight" and request.method == "GET":
        return redirect(start_url(min(found.providers.values(), key=_weight), next_path))
    if form.validate_on_submit():
        provider = found.choose(form.email.data)
        if provider is not None:
            return redirect(start_url(provider, next_path), 303)
        form.email.errors.append(
            "No single sign-on is set up for that address's domain. Sign in with your password."
        )
    status = 422 if form.is_submitted() else 200
    return render_template("sso/continue.html", form=form, next_path=next_path), status


@bp.get("/account/identities")
@login_required
def identities():
    user = current_user._get_current_object()
    providers = {p.id: p for p in config.current().everything()}
    return render_template(
        "sso/identities.html",
        identities=accounts.identities(user),
        providers=providers,
        user=user,
    )


@bp.post("/account/identities/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int):
    done = attempt(accounts.unlink, current_user._get_current_object(), identity_id)
    if done.ok:
        flash(f"Unlinked your {done.value.provider} identity.", "success")
    else:
        flash(done.message or "That identity could not be unlinked.", "error")
    return redirect(url_for("sso.identities"), 303)
