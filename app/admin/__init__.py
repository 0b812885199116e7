"""The admin panel (SPEC §4): one module of routes per resource, all behind one guard."""

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    """One guard for the whole panel: anyone but an administrator sees nothing here.

    A request that changes something checks again on the locked rows: another administrator
    may have disabled, demoted or deleted this one a moment ago.
    """
    from app.admin.services import lock_admins
    from app.transactions import SAFE_METHODS

    if not current_user.is_admin:
        abort(404)
    if request.method not in SAFE_METHODS and current_user.id not in lock_admins():
        abort(404)


# One module per resource. Organizations and plans add their own lines below.
from app.admin import (  # noqa: E402,F401
    audit,
    orgs,  # noqa: E402,F401
    overview,
    plans,  # noqa: E402,F401
    sessions,
    settings,
    sso,
    stats,
    tokens,
    users,
)
