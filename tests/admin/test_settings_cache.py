"""The per-process copy of the settings: bounded in age, dropped by set_many."""

from __future__ import annotations

import json

from app import settings
from app.extensions import db
from app.models import Setting


def site_name_seen(app) -> str:
    """What a new request sees (its own app context, so its own `g` and database session)."""
    with app.app_context(), app.test_request_context():
        return settings.get("site_name")


def test_settings_copy_is_bounded_and_dropped_by_set_many(app, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(settings.time, "monotonic", lambda: clock[0])
    app.config["SETTINGS_CACHE_SECONDS"] = 2
    assert site_name_seen(app) == "Gatehouse"
    # Another worker writes the row: this process keeps its copy until the bound has passed.
    db.session.merge(Setting(key="site_name", value=json.dumps("Elsewhere")))
    db.session.commit()
    clock[0] += 1.9
    assert site_name_seen(app) == "Gatehouse"
    clock[0] += 0.2
    assert site_name_seen(app) == "Elsewhere"
    # A change through set_many is in force on this process at once.
    settings.set_many({"site_name": "Here"})
    db.session.commit()
    assert site_name_seen(app) == "Here"
    # The bound never exceeds 5 s, whatever the configuration says; 0 turns the copy off.
    app.config["SETTINGS_CACHE_SECONDS"] = 60
    db.session.merge(Setting(key="site_name", value=json.dumps("Later")))
    db.session.commit()
    clock[0] += 5.0
    assert site_name_seen(app) == "Later"
    app.config["SETTINGS_CACHE_SECONDS"] = 0
    db.session.merge(Setting(key="site_name", value=json.dumps("Now")))
    db.session.commit()
    assert site_name_seen(app) == "Now"
