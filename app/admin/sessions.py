"""Live sessions of everyone, and revoking them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app import ids, paging
from app.admin import bp, queries, services
from app.admin.web import actor, back_to, url_with
from app.forms import CONTROL
from app.web import attempt


@bp.get("/sessions")
def sessions():
    # The filter form asks for a name; the page's address keeps the id (`?user=<id>`).
    name = CONTROL.sub("", request.args.get("username", "")).strip()[:254]
    if name:
        found = queries.account_named(name)
        if found is None:  # the field says so; no table rather than everyone's sessions
            return render_template(
                "admin/sessions.html", page=None, filtered=None, unknown=name, url_with=url_with
            ), 404
        return redirect(url_with(".sessions", username=None, page=None, user=found.id))
    user_id = ids.id_or_404(request.args.get("user"))
    filtered = queries.user_or_404(user_id) if user_id is not None else None
    page = queries.session_page(user_id, *paging.requested())
    return render_template(
        "admin/sessions.html",
        page=page,
        filtered=filtered,
        unknown=None,
        url_with=url_with,
        sizes=paging.PER_PAGE_CHOICES,
    )


@bp.post("/sessions/<int:session_id>/revoke")
def revoke_session(session_id: int):
    done = attempt(services.revoke_session, actor(), session_id).flash()
    if done.ok:
        flash(f"Signed out a session of {done.value.user.username}.", "success")
    return redirect(back_to(url_for(".sessions")), 303)
