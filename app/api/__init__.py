"""The JSON API at /api/v1 (SPEC §9), built with flask-smorest: marshmallow schemas document
and check the requests, and the OpenAPI 3.1 document at /api/v1/openapi.json comes from the code.

Every resource module calls the services the HTML pages call (rules, permissions, limits and
audit are theirs); this package only adds the token (bearer.py), the JSON shapes (schemas.py)
and the errors as problem details (problems.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.api import docs, invitations, me, members, orgs, projects, sessions, users
    from app.api.blueprints import api

    api.init_app(app)
    for module in (me, users, sessions, orgs, members, invitations, projects):
        api.register_blueprint(module.blp)
    app.register_blueprint(docs.bp)
