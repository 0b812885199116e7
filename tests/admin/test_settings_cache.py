"""Settings are in force on every worker from its next request (app/settings.py): each worker
keeps a copy tagged with the settings' revision, which a signed-in request reads in its session
lookup and an anonymous one in a single-row query."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event

from app import create_app, settings
from app.extensions import db
from app.models import Setting
from tests.conftest import FormClient, base_config


@pytest.fixture
def other_worker(app, tmp_path) -> Flask:
    """A second app on the same database: another gunicorn worker, with its own copy."""
    worker = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path)))
    worker.test_client_class = FormClient
    yield worker
    with worker.app_context():
        db.engine.dispose()


def _statements(worker: Flask, client, path: str) -> tuple[str, list[str]]:
    with worker.app_context():
        engine = db.engine
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return page, seen


def _rename(name: str) -> None:
    settings.set_many({"site_name": name})
    db.session.commit()


def test_a_change_on_one_worker_is_in_force_on_another_at_its_next_request(app, other_worker):
    client = other_worker.test_client()
    assert "Gatehouse" in client.get("/login").get_data(as_text=True)  # its copy is made
    _rename("Renamed Here")
    page, _ = _statements(other_worker, client, "/login")
    assert "Renamed Here" in page


def test_a_signed_in_page_gets_the_revision_from_its_session_lookup(
    app, other_worker, factory, make_user
):
    client = other_worker.test_client()
    factory.sign_in(client, make_user("alice"))
    client.get("/account")
    page, seen = _statements(other_worker, client, "/account")
    reads_of_settings = [s for s in seen if "FROM settings" in s and "user_sessions" not in s]
    assert reads_of_settings == [], "a warm copy costs no query of its own"
    _rename("Renamed Again")
    page, seen = _statements(other_worker, client, "/account")
    assert "Renamed Again" in page
    assert len([s for s in seen if "FROM settings" in s and "user_sessions" not in s]) == 1


def test_a_row_changed_without_set_many_waits_for_the_next_revision(app, other_worker):
    """The revision, not the clock, decides: set_many renews it in the same transaction."""
    client = other_worker.test_client()
    client.get("/login")
    db.session.merge(Setting(key="site_name", value='"Sneaked In"'))
    db.session.commit()
    assert "Sneaked In" not in client.get("/login").get_data(as_text=True)
    _rename("Official")
    assert "Official" in client.get("/login").get_data(as_text=True)
