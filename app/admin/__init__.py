from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    """One guard for the whole panel: anyone but an administrator sees nothing here."""
    if not current_user.is_admin:
        abort(404)


from app.admin import routes  # noqa: E402,F401
