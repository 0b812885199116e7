"""The invited person's side: their list, the page a link opens, accept and decline."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.web import current_session
from app.extensions import db
from app.models import User
from app.models.user import name_key
from app.orgs import bp, services
from app.web import attempt


def _me():
    return current_user._get_current_object()


@bp.get("/invitations")
@login_required
def my_invitations():
    me = _me()
    return render_template(
        "orgs/invitations.html", invitations=services.pending_for(me), verified=me.email_verified
    )


@bp.get("/invitations/<token>")
def invitation(token: str):
    """Public: the token is the credential. It is not echoed into logs, only into our own links."""
    g.no_store = True
    found = services.find_invitation(token)
    if found is None:
        return render_template("orgs/invitation_invalid.html"), 404
    here = url_for("orgs.invitation", token=token)
    context = {"invitation": found, "token": token, "here": here}
    if not current_user.is_authenticated:
        has_account = (
            db.session.scalar(select(User.id).where(User.email_key == name_key(found.email)))
            is not None
        )
        return (
            render_template("orgs/invitation.html", has_account=has_account, **context),
            200,
            {"Referrer-Policy": "no-referrer"},
        )
    mine = name_key(current_user.email or "") == found.email_key
    return (
        render_template("orgs/invitation.html", mine=mine, **context),
        200,
        {"Referrer-Policy": "no-referrer"},
    )


def _accepted(org):
    current_session().workspace_org_id = org.id
    db.session.commit()
    flash(f"Welcome to {org.name}. It is now your current workspace.", "success")
    return redirect(url_for("orgs.show", slug=org.slug), 303)


@bp.post("/invitations/<token>/accept")
@login_required
def accept(token: str):
    done = attempt(services.accept, services.find_invitation(token), _me()).flash()
    return _accepted(done.value) if done.ok else redirect(url_for("orgs.my_invitations"), 303)


@bp.post("/invitations/<token>/decline")
@login_required
def decline(token: str):
    done = attempt(services.decline, services.find_invitation(token), _me()).flash()
    if done.ok:
        flash(f"You declined the invitation to {done.value.name}.", "info")
    return redirect(url_for("orgs.my_invitations"), 303)


@bp.post("/invitations/by-id/<int:invitation_id>/accept")
@login_required
def accept_by_id(invitation_id: int):
    done = attempt(services.accept, services.invitation_for(_me(), invitation_id), _me()).flash()
    return _accepted(done.value) if done.ok else redirect(url_for("orgs.my_invitations"), 303)


@bp.post("/invitations/by-id/<int:invitation_id>/decline")
@login_required
def decline_by_id(invitation_id: int):
    done = attempt(services.decline, services.invitation_for(_me(), invitation_id), _me()).flash()
    if done.ok:
        flash(f"You declined the invitation to {done.value.name}.", "info")
    return redirect(url_for("orgs.my_invitations"), 303)
