"""Live sessions of everyone, and revoking them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app import ids, paging
from app.admin import bp, queries, services
from app.admin.web import actor, back_to, url_with
from app.web import attempt


@bp.get("/sessions")
def sessions():
    user_id = ids.id_or_404(request.args.get("user"))
    filtered = queries.user_or_404(user_id) if user_id is not None else None
    page = queries.session_page(user_id, *paging.requested())
    return render_template("admin/sessions.html", page=page, filtered=filtered, url_with=url_with)


@bp.post("/sessions/<int:session_id>/revoke")
def revoke_session(session_id: int):
    done = attempt(services.revoke_session, actor(), session_id).flash()
    if done.ok:
        flash(f"Signed out a session of {done.value.user.username}.", "success")
    return redirect(back_to(url_for(".sessions")), 303)
