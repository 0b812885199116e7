from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import passkey_routes, routes, setup, verify_routes, web  # noqa: E402,F401
