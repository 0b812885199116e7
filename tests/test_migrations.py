"""The schema comes from the migrations only; engine settings; the generated secret key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def described_by_models(_object, name, type_, _reflected, _compare_to) -> bool:
    """The same rule as migrations/env.py: PostgreSQL-only trigram indexes (trgm_*) are made by
    hand in a migration and have no model counterpart."""
    return not (type_ == "index" and name and name.startswith("trgm_"))


def test_models_and_migrations_agree(app):
    """The test database was built by `flask db upgrade`; the models must describe it exactly."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": described_by_models}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_are_at_head(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    config = app.extensions["migrate"].migrate.get_config(directory=str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the revision chain forked: {heads}"
    current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert current == heads[0]
    assert Migrate  # imported for the config helper above


def test_the_app_never_creates_tables_itself():
    sources = [p for p in (ROOT / "app").rglob("*.py") if "create_all(" in p.read_text()]
    assert sources == []


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    """The embedded default, whatever backend the rest of the suite runs on."""
    sqlite_app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'pragmas.db'}"}
    )
    with sqlite_app.app_context():
        with db.engine.connect() as first, db.engine.connect() as second:
            for connection in (first, second):
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                connection.rollback()  # outside a request it is a write transaction (the lock)
        db.engine.dispose()


def test_pool_checks_connections_before_use(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert db.engine.pool._pre_ping


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """No SECRET_KEY anywhere: not in the environment, not in .env, not in instance/."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("dotenv.load_dotenv", lambda *a, **k: False)
    instance = tmp_path / "instance"
    monkeypatch.setenv("GATEHOUSE_INSTANCE", str(instance))
    return instance


def test_secret_key_is_generated_once_into_instance_with_mode_0600(bare_environment):
    first = create_app({"DATABASE_URL": "sqlite://"})
    key_file = bare_environment / "secret_key"
    assert first.instance_path == str(bare_environment)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 32
    second = create_app({"DATABASE_URL": "sqlite://"})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert key_file.read_text().strip() == first.config["SECRET_KEY"]


def test_secret_key_from_the_environment_wins(bare_environment, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-0123456789abcdef")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-the-environment-0123456789abcdef"
    assert not (bare_environment / "secret_key").exists()


def test_default_database_is_sqlite_in_the_instance_folder(bare_environment, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{bare_environment}/gatehouse.db"
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
