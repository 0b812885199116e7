"""Extensions, created unbound and initialised by create_app()."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime, timezone

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Date, DateTime, MetaData, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, registry
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
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime(), date: Date()})


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, strategy="moving-window")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# --- ending a request's transaction ---------------------------------------------------------
# psycopg forgets every prepared statement on ROLLBACK, so if each request ended that way its
# queries were planned anew every time (the session lookup's plan costs more than running it).
# A transaction that only read ends with COMMIT instead: the same outcome for the data.
WROTE = "gatehouse.wrote"  # on a connection's info: a statement other than SELECT ran
CONNECTIONS = "gatehouse.connections"  # on a session's info: the connections it began on


@event.listens_for(Engine, "begin")
def _transaction_begins(conn) -> None:
    conn.info[WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement, *_args) -> None:
    if statement.lstrip()[:6].upper() != "SELECT" or "FOR UPDATE" in statement:
        conn.info[WROTE] = True


@event.listens_for(Session, "after_begin")
def _remember_connection(session, _transaction, connection) -> None:
    session.info.setdefault(CONNECTIONS, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_connections(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTIONS, None)


def only_read(session: Session) -> bool:
    """Whether the session's open transaction ran nothing but SELECTs and holds no changes."""
    connections = session.info.get(CONNECTIONS)
    return bool(connections) and session.in_transaction() \
        and not (session.new or session.dirty or session.deleted) \
        and not any(c.info.get(WROTE, True) for c in connections)


def end_request(exc: BaseException | None) -> None:
    """Teardown: commit a transaction that only read (see above), discard anything else."""
    if exc is None and only_read(db.session()):
        try:
            db.session.commit()
        except SQLAlchemyError:
            pass  # discarded below
    discard_session(close=True)


def discard_session(close: bool = False) -> None:
    """Roll back (or close) the request's session; if the database already dropped the
    connection, even that raises, so the connection is invalidated instead."""
    try:
        db.session.close() if close else db.session.rollback()
    except SQLAlchemyError:
        db.session().invalidate()


def init_app(app: Flask) -> None:
    from app import models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in
    # reverse): a session on a dead connection is invalidated before remove() can raise.
    app.teardown_appcontext(end_request)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # server-side session records do this job
