from flask import Blueprint

bp = Blueprint("orgs", __name__)


@bp.app_context_processor
def workspace_context() -> dict:
    """The current workspace, the switcher's choices and the number of invitations waiting for
    the person (the navigation's badge), loaded once per request for the layout."""
    from flask import g
    from flask_login import current_user

    from app.auth.web import current_session
    from app.orgs import workspace

    if g.get("skip_db") or not current_user.is_authenticated:
        return {}
    user = current_user._get_current_object()
    return {
        "workspace_choices": workspace.memberships(user),
        "current_workspace": workspace.current(user, current_session()),
        "pending_invitations": workspace.pending_invitations(user),
    }


from app.orgs import routes  # noqa: E402,F401
