"""HTTP glue shared by the orgs and projects blueprints."""
from __future__ import annotations

from flask import Blueprint, flash

from app.errors import DomainError, Forbidden, NotFound, render_error
from app.extensions import db


def register_refusals(bp: Blueprint) -> None:
    """Outsiders see a plain 404; members without the right see 403 with the reason."""

    @bp.errorhandler(NotFound)
    def not_found(_exc: NotFound):
        db.session.rollback()
        return render_error(404)

    @bp.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        db.session.rollback()
        return render_error(403, str(exc))


def attempt(service, *args, **kwargs):
    """Run a service and commit. Returns (True, result), or (False, None) after flashing why.

    NotFound and Forbidden pass through to the handlers above.
    """
    try:
        result = service(*args, **kwargs)
        db.session.commit()
    except (NotFound, Forbidden):
        db.session.rollback()
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False, None
    return True, result
