from flask import Blueprint

bp = Blueprint("main", __name__)


@bp.app_context_processor
def layout_helpers() -> dict:
    """Values the layout shows; read from the per-request settings, never queried in templates."""
    from flask import g

    from app import settings

    return {
        # Error pages for a failed database must not query it again.
        "site_name": lambda: "Gatehouse" if g.get("skip_db") else settings.get("site_name"),
        "password_min_length": lambda: settings.get("password_min_length"),
        "temp_minutes": lambda: settings.get("temp_password_minutes"),
    }


from app.main import routes  # noqa: E402,F401
