"""Fixtures shared by every test.

The database comes from GATEHOUSE_TEST_DATABASE: unset or "sqlite" gives each test a fresh copy of a
migrated SQLite file; a PostgreSQL URL (postgresql+psycopg://user@host:port/db) makes one fresh
database for the run, migrated once, and empties every table before each test. Rate limits use
GATEHOUSE_TEST_REDIS (redis://host:port/n) when set, with a key prefix of their own per test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager

import pytest
from flask import g, has_app_context
from flask_migrate import upgrade
from sqlalchemy import event, text

from app import create_app
from app.extensions import db
from tests.factories import Factory
from tests.formclient import FormClient

DATABASE = os.environ.get("GATEHOUSE_TEST_DATABASE", "sqlite")
REDIS = os.environ.get("GATEHOUSE_TEST_REDIS")
ON_POSTGRES = DATABASE.startswith("postgresql")
REQUIRE_ALL = os.environ.get("GATEHOUSE_REQUIRE_ALL") == "1"


def unavailable(reason: str):
    """A real part a test needs cannot run here: skipped on a developer's machine, a failure in
    CI (GATEHOUSE_REQUIRE_ALL=1), where .ci/run installs every part."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (GATEHOUSE_REQUIRE_ALL=1)", pytrace=False)
    pytest.skip(reason)


TEST_SECRET = "test-secret-key-not-for-production"


def base_config(database_url: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": REDIS or "memory://",
        "RATELIMIT_KEY_PREFIX": f"gh-test-{uuid.uuid4().hex[:12]}",
        "BASE_URL": "http://gatehouse.example.com",
        "STRIPE_SECRET_KEY": None,
        "MAIL_SERVER": None,
        # Mail is delivered as soon as its transaction commits; tests of the queue turn this off.
        "HUEY_IMMEDIATE": True,
    }


def _migrate(url: str, instance: str) -> None:
    app = create_app(base_config(url, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Yields a function that gives each test an empty, migrated database URL."""
    instance = str(tmp_path_factory.mktemp("instance"))
    if not ON_POSTGRES:
        template = os.path.join(instance, "template.db")
        _migrate(f"sqlite:///{template}", instance)
        counter = iter(range(10**9))

        def fresh() -> str:
            path = os.path.join(instance, f"test-{next(counter)}.db")
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"

        yield fresh, instance
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(DATABASE)
    name = f"gatehouse_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = server.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    _migrate(url, instance)
    yield (lambda: url), instance
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_tables() -> None:
    # row_counts keeps its rows: the TRUNCATE triggers set each count to 0 (migration 0006).
    tables = [t.name for t in db.metadata.sorted_tables if t.name != "row_counts"]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app_overrides() -> dict:
    """Config a test folder adds to base_config (tests/billing turns Stripe on); override it."""
    return {}


def own_limiter_keys(app) -> None:
    """Use this app's RATELIMIT_KEY_PREFIX for the rate limits.

    app.extensions.limiter is one object per process and keeps the key prefix of the first app
    it was initialised with, so on Redis every test would otherwise share one set of counters.
    """
    from app.extensions import limiter

    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]


@pytest.fixture
def app(database, app_overrides):
    fresh, instance = database
    app = create_app({**base_config(fresh(), instance), **app_overrides})
    app.test_client_class = FormClient
    own_limiter_keys(app)
    with app.app_context():
        if ON_POSTGRES:
            _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def factory(app) -> Factory:
    return Factory(app)


@pytest.fixture
def make_user(factory):
    return factory.user


@pytest.fixture
def login_as(client, factory):
    """Sign `user` in on the `client` fixture without going through the form."""

    def sign_in(user, target=None):
        return factory.sign_in(target or client, user)

    return sign_in


@pytest.fixture
def make_org(factory):
    """`make_org(owner=user, slug="acme", members={other: "worker"})`."""
    return factory.org


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port; `.messages` are what it received."""
    from tests.mail.smtp_server import SmtpServer

    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def admin(make_user):
    return make_user(username="root", is_admin=True)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as n: ...` then `n()` is the number of statements run."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(_conn, _cursor, statement, *_args):
            # SQLite's BEGIN is a statement of ours (app/transactions.py), PostgreSQL's is
            # implicit: neither is a query. The session upkeep before a page (last seen, at
            # most once a minute) depends on the clock, not on the page: it is counted apart
            # (tests/auth/test_upkeep.py), so a page's count is the same under any load.
            if statement.startswith("BEGIN") or (
                has_app_context() and g.get("session_upkeep_running")
            ):
                return
            statements.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield lambda: len(statements)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter


def needs_postgres():
    """For tests whose point (row locks, true concurrency) only PostgreSQL can show."""
    return pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL; runs in the CI pass on it")
