"""Gatehouse: the application factory."""

from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None, **overrides) -> Flask:
    """Build the app; `config` and `overrides` win over instance/config.py and the environment."""
    from app import api, cli, errors, extensions, formatting, ids, jobs, security, shell, web
    from app import config as configuration
    from app.sso import config as sso_config

    app = Flask(
        __name__,
        instance_path=configuration.instance_path(),
        instance_relative_config=True,
        template_folder=configuration.folder("templates"),
        static_folder=configuration.folder("static"),
        static_url_path="/static",  # not the folder's name, which is _static when installed
    )
    app.url_map.converters["int"] = ids.IdConverter  # before any route is added
    configuration.load(app, {**(config or {}), **overrides})
    extensions.init_app(app)
    formatting.init_app(app)
    jobs.init_app(app)
    sso_config.init_app(app)  # a mistake in the file stops the start here, in one sentence
    register_blueprints(app)
    api.init_app(app)
    shell.init_app(app)
    errors.register_error_handlers(app)
    web.init_app(app)
    security.init_app(app)
    cli.register(app)
    return app


def register_blueprints(app: Flask) -> None:
    from app.account import bp as account
    from app.admin import bp as admin
    from app.auth import bp as auth
    from app.billing import bp as billing
    from app.main import bp as main
    from app.orgs import bp as orgs
    from app.projects import bp as projects
    from app.scim import bp as scim
    from app.sso import bp as sso

    for blueprint in (main, auth, account, admin, orgs, projects, billing, sso, scim):
        app.register_blueprint(blueprint)
