"""The admin panel (SPEC §4): one module of routes per resource, all behind one guard."""
from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    """One guard for the whole panel: anyone but an administrator sees nothing here."""
    if not current_user.is_admin:
        abort(404)


# One module per resource. Organizations and plans add their own lines below.
from app.admin import overview, users, sessions, stats, settings, audit  # noqa: E402,F401
from app.admin import orgs  # noqa: E402,F401
from app.admin import plans  # noqa: E402,F401
