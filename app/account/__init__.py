from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from app.account import passkey_routes, routes, security_routes  # noqa: E402,F401
