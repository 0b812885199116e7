"""Extensions, created unbound and initialised by create_app()."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import flask_sqlalchemy.session
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Date, DateTime, MetaData
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), date: Date()},
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class RequestSession(flask_sqlalchemy.session.Session):
    """Flask-SQLAlchemy's session, with the engine chosen per transaction by
    app/transactions.py (`read_bind`: autocommit for a page that only reads, on PostgreSQL)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        from app.transactions import read_bind

        return read_bind(super().get_bind(mapper, clause, bind, **kwargs))


db = SQLAlchemy(model_class=Base, session_options={"class_": RequestSession})
# The models' base: Flask-SQLAlchemy's db.Model, which type checkers cannot see through.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


def discard_session(close: bool = False) -> None:
    """Roll back (or close) the request's session; if the database already dropped the
    connection, even that raises, so the connection is invalidated instead."""
    try:
        db.session.close() if close else db.session.rollback()
    except SQLAlchemyError:
        db.session().invalidate()


def init_app(app: Flask) -> None:
    from app import (
        models,  # noqa: F401  (registers every table on the metadata)
        transactions,  # noqa: F401  (how transactions begin and end)
    )
    from app.config import folder

    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse): a session on a dead connection is invalidated before remove() can raise.
    app.teardown_appcontext(transactions.end_request)
    transactions.init_app(app)
    migrate.init_app(app, db, directory=folder("migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # server-side session records do this job
