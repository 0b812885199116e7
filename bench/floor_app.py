"""The floor for the HTTP benchmark: the least a Gatehouse page can cost on this machine.

A minimal Flask app that renders Gatehouse's own base layout (templates/base.html, with its
stylesheets, script and navigation) around the result of ONE database query, through the same
SQLAlchemy engine options (pool_pre_ping) and under the same gunicorn settings:

    DATABASE_URL=postgresql+psycopg://… gunicorn -c deploy/gunicorn.conf.py bench.floor_app:app

Every Gatehouse route is reported as a ratio to this app's throughput, measured in the same run
(bench/http/run.py), so the figure says how much the app adds on top of "Flask + one query +
the layout", whatever the machine.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from flask import Blueprint, Flask, render_template_string
from sqlalchemy import create_engine, text

from app import shell

ROOT = Path(__file__).resolve().parent.parent

PAGE = """{% extends "base.html" %}
{% block title %}Floor{% endblock %}
{% block content %}<h1>Hello, {{ name }}</h1><p>One query, the base layout.</p>{% endblock %}"""


def create_app() -> Flask:
    app = Flask(
        __name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static")
    )
    engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    anonymous = SimpleNamespace(is_authenticated=False, must_change_password=False)

    # The layout links to these endpoints; they only need to exist for url_for().
    main, auth = Blueprint("main", __name__), Blueprint("auth", __name__)
    auth.add_url_rule("/login", "login", lambda: "")
    auth.add_url_rule("/signup", "signup", lambda: "")

    @main.get("/")
    def dashboard():
        with engine.connect() as conn:
            name = conn.execute(
                text("SELECT display_name FROM users WHERE id = :id"), {"id": 2}
            ).scalar_one_or_none()
        return render_template_string(PAGE, name=name or "nobody")

    app.register_blueprint(main)
    app.register_blueprint(auth, url_prefix="/floor-auth")
    shell.init_app(app)  # the layout's link() and asset(), as Gatehouse has them

    @app.context_processor
    def layout_values():
        return {"site_name": lambda: "Gatehouse", "current_user": anonymous, "skip_user": False}

    return app


app = create_app()
