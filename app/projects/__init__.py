from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/projects")

from app.orgs.web import register_refusals  # noqa: E402
from app.projects import routes  # noqa: E402,F401

register_refusals(bp)
