"""How the database transactions of requests, commands and jobs begin and end.

Beginning. A rule such as "never the last administrator" reads rows, decides, then writes; on
PostgreSQL `FOR UPDATE` (app.limits.lock_org and friends) makes a second request wait for the
first. SQLite has no row locks and takes its write lock at a transaction's first write, after the
reads the rule decided on. So on SQLite a *write transaction* begins with `BEGIN IMMEDIATE`, which
takes the write lock at once: write transactions run one after another, reads included. A
transaction is a write transaction when it begins
- in a request whose method is not safe (POST, PUT, PATCH, DELETE), or whose view is marked
  `@writes` (a GET that changes data, such as a one-time link);
- outside any request: CLI commands, jobs, scripts;
- inside `write_transaction()` (the session bookkeeping before a page, app/auth/web.py).
Everything else (GET, HEAD, OPTIONS) begins with a plain `BEGIN`: in WAL mode those transactions
neither wait for writers nor hold them up. pysqlite is told to leave transactions alone (the
recipe of SQLAlchemy's SQLite documentation): by itself it began one only before a write and let
every SELECT run outside any transaction.

A page that only reads. A request whose transactions begin as read transactions (decided when
the request starts, `_request_started`) may not write: a flush or a statement that would raises
`ReadOnlyRequest`, a bug answered as one, instead of a write lost at the end on SQLite. On
PostgreSQL its statements run in autocommit (`read_bind`): no BEGIN and no COMMIT round trip, two
of a dashboard's five; under READ COMMITTED each statement sees its own snapshot either way.
Code run outside a dispatched request (commands, jobs, test code) keeps ordinary transactions.

Ending. psycopg forgets every prepared statement on ROLLBACK, so if each request ended that way
its queries were planned anew every time (the session lookup's plan costs more than running it).
A request's transaction that wrote nothing ends with COMMIT instead: the same outcome for the
data. Whether it wrote is a flag on the session (`WROTE`), set when the session flushes changes
or runs a statement that is not a SELECT; anything else, or an error, ends with ROLLBACK.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask.signals import request_started
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.extensions import db, discard_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READ_ONLY = "gatehouse_read_only"  # on g: this dispatched request only reads
WROTE = "gatehouse.wrote"  # on a session's info: its open transaction wrote something
_WRITING = "gatehouse_writing"  # on g: transactions begun now are write transactions

View = TypeVar("View", bound=Callable[..., Any])


def writes(view: View) -> View:
    """Mark a view answering a safe method (GET) that changes data anyway."""
    view.writes = True  # type: ignore[attr-defined]
    return view


def is_write_transaction() -> bool:
    """Whether a transaction beginning now is a write transaction (see the module's doc)."""
    if not has_app_context() or g.get(_WRITING) or not has_request_context():
        return True
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes", False))


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if is_write_transaction() else "BEGIN")


class ReadOnlyRequest(RuntimeError):
    """A page that only reads tried to write: mark its view `@writes`, or write inside
    `write_transaction()`."""


def _reading() -> bool:
    """Whether this is a dispatched read-only request outside any write_transaction()."""
    return has_app_context() and bool(g.get(_READ_ONLY)) and not g.get(_WRITING)


def read_bind(engine: Engine) -> Engine:
    """The engine for what a session runs now: on PostgreSQL, a read-only request's statements
    run in autocommit (see the module's doc); everything else on `engine` as it is."""
    if engine.dialect.name != "postgresql" or not _reading():
        return engine
    autocommit = _AUTOCOMMIT.get(engine)
    if autocommit is None:
        autocommit = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return autocommit


_AUTOCOMMIT: dict[Engine, Engine] = {}  # per engine: the same pool, in autocommit


def _request_started(_app, **_extra) -> None:
    setattr(g, _READ_ONLY, not is_write_transaction())


def init_app(app: Flask) -> None:
    request_started.connect(_request_started, app)


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block in a write transaction of its own, committed at its end; in a request
    that has written already (a POST), the block is part of the request's transaction.

    The transaction open before (it may only have read) ends with COMMIT first. Objects loaded
    before stay loaded: neither commit expires them, so a page does not read them again.
    """
    session = db.session()
    if session.in_transaction() and not only_read(session):
        if has_request_context() and is_write_transaction():
            yield  # after a POST's first writes: the block is part of the request's transaction
            return
        raise RuntimeError("write_transaction() after uncommitted writes")
    if session.in_transaction():
        _commit_keeping_objects(session)
    outer = g.get(_WRITING, False)
    setattr(g, _WRITING, True)
    try:
        yield
        _commit_keeping_objects(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        setattr(g, _WRITING, outer)


def _commit_keeping_objects(session: Session) -> None:
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _writing(session: Session) -> None:
    if _reading():
        raise ReadOnlyRequest(f"{request.method} {request.endpoint} writes in a read-only request")
    session.info[WROTE] = True


@event.listens_for(Session, "before_flush")
def _flushing(session: Session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        _writing(session)


@event.listens_for(Session, "do_orm_execute")
def _executing(state: ORMExecuteState) -> None:
    if not state.is_select:  # INSERT, UPDATE, DELETE, text(): anything but a plain read
        _writing(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


def only_read(session: Session) -> bool:
    """Whether the session's open transaction wrote nothing and holds no pending changes."""
    return (
        session.in_transaction()
        and not session.info.get(WROTE)
        and not (session.new or session.dirty or session.deleted)
    )


def end_request(exc: BaseException | None) -> None:
    """Teardown: commit a transaction that only read (see above), discard anything else."""
    if exc is None and only_read(db.session()):
        with contextlib.suppress(SQLAlchemyError):  # discarded below
            db.session.commit()
    discard_session(close=True)
