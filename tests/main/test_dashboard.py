"""The dashboard: the current workspace's most recently updated projects, at most ten."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import Project


def test_dashboard_shows_the_ten_most_recently_updated_projects(client, make_user, login_as):
    alice, bob = make_user("alice"), make_user("bob")
    base = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.add_all(
        [
            Project(
                name=f"P{i:02d}",
                personal_owner_id=alice.id,
                created_by_id=alice.id,
                created_at=base + timedelta(seconds=i),
                # updated in the reverse order of creation, except P00, touched last
                updated_at=base + timedelta(days=1, seconds=100 if i == 0 else -i),
            )
            for i in range(15)
        ]
        + [Project(name="Bob's", personal_owner_id=bob.id, created_by_id=bob.id)]
    )
    db.session.commit()
    login_as(alice)
    html = client.get("/").get_data(as_text=True)
    shown = re.findall(r'href="/projects/\d+">([^<]+)</a>', html)
    assert shown == ["P00"] + [f"P{i:02d}" for i in range(1, 10)]
    assert '<a href="/projects">All projects (15)</a>' in html


def test_dashboard_of_an_empty_workspace(client, make_user, login_as):
    login_as(make_user("alice"))
    html = client.get("/").get_data(as_text=True)
    assert "No projects to show here." in html and "All projects (0)" in html
