"""Service tokens (API tokens tied to no person), and revoking anyone's token."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app import ids, tokens
from app.account.forms import TokenForm
from app.admin import bp, queries
from app.admin.web import actor, back_to
from app.urls import local_path
from app.web import attempt


def _page(form: TokenForm, status: int = 200, new_token: str | None = None):
    """The service tokens; with `?user=<id>` (the Users table's count links here) that
    person's tokens above them, to revoke."""
    user_id = ids.id_or_404(request.args.get("user"))
    owner = queries.user_or_404(user_id) if user_id is not None else None
    html = render_template(
        "admin/tokens.html",
        form=form,
        records=tokens.service_tokens(),
        owner=owner,
        owned=tokens.tokens_of(owner) if owner is not None else [],
        new_token=new_token,
    )
    if new_token is None:
        return html, status
    g.no_store = True  # the secret is on this page only: never cached, never referred
    return html, status, {"Referrer-Policy": "no-referrer"}


@bp.route("/tokens", methods=["GET", "POST"])
def tokens_page():
    form = TokenForm().offer(tokens.scopes_for(actor()))
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    done = attempt(
        tokens.issue,
        actor(),
        form.name.data,
        form.expires_in_days.data,
        form.scopes.data,
        service_token=True,
    )
    if not done.ok:
        done.flash(form)
        return _page(form, done.status)
    flash(
        f"Created the service token {done.value[0].name}. Copy it now: it is shown once.", "success"
    )
    return _page(TokenForm(formdata=None).offer(tokens.scopes_for(actor())), 200, done.value[1])


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    done = attempt(tokens.revoke, actor(), token_id, any_owner=True).flash()
    if done.ok:
        flash(f"Revoked the token {done.value.name}.", "success")
    return redirect(local_path(request.args.get("next")) or back_to(url_for(".tokens_page")), 303)
