"""Live sessions of everyone, and revoking them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from app import ids, paging
from app.admin import bp, queries, services
from app.admin.web import actor, back_to, url_with
from app.errors import DomainError, NotFound
from app.extensions import db


@bp.get("/sessions")
def sessions():
    user_id = ids.id_or_404(request.args.get("user"))
    filtered = queries.user_or_404(user_id) if user_id is not None else None
    page = queries.session_page(user_id, *paging.requested())
    return render_template("admin/sessions.html", page=page, filtered=filtered,
                           url_with=url_with)


@bp.post("/sessions/<int:session_id>/revoke")
def revoke_session(session_id: int):
    try:
        record = services.revoke_session(actor(), session_id)
        db.session.commit()
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Signed out a session of {record.user.username}.", "success")
    return redirect(back_to(url_for(".sessions")), 303)
