"""The audit log in words: one sentence per action code, the raw code kept in the export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import insert

from app.admin import audit_words
from app.extensions import db, utcnow
from app.models import AuditEvent
from tests.admin.tables import pager_text, read_table

APP = Path(__file__).resolve().parents[2] / "app"


def add(action: str, actor=None, target: str | None = None, **fields) -> None:
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "day": now.date(),
                "created_at": now,
                "action": action,
                "actor_id": actor.id if actor else None,
                "actor_name": actor.username if actor else None,
                "target": target,
                **fields,
            }
        ],
    )
    db.session.commit()


def events_in_words(client, url: str = "/admin/audit") -> list[str]:
    """Each event's sentence as the page shows it (the raw code under it left out)."""
    _, rows = read_table(client.get(url).get_data(as_text=True))
    return [row[1].rsplit(" ", 1)[0] for row in rows]


def test_events_read_as_sentences(admin_client, admin, make_user, make_org):
    alice = make_user(username="alice")
    bob = make_user(username="bob")
    org = make_org(owner=alice, slug="acme")
    add("admin.user_disabled", alice, "bob")
    add("login.ok", bob, "bob")
    add("settings.changed", admin, None, detail="site_name: Gatehouse -> Lab")
    add("org.member_removed", alice, "bob", organization_id=org.id)
    add("login.failed", None, "mallory", detail="unknown account")
    add("subscription.created", None, "acme")
    add("admin.user_created", None, "carol", detail="flask create-admin")
    assert events_in_words(admin_client) == [
        "The system created carol",
        "Subscription started for acme",
        "Failed sign-in as mallory",
        "alice removed bob from acme",
        "root changed setting Site name",
        "bob signed in",
        "alice disabled bob",
    ]


def test_a_code_without_words_reads_as_itself_and_names_link_to_their_events(admin_client, admin):
    add("future.event", admin, "root")
    assert events_in_words(admin_client) == ["future.event"]
    add("admin.user_enabled", admin, "wil")
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert 'href="/admin/audit?user=wil" class="name">wil</a>' in html
    assert 'href="/admin/audit?action=admin.user_enabled" class="action-code"' in html


def test_the_export_keeps_the_raw_codes(admin_client, admin):
    add("admin.user_disabled", admin, "bob")
    rows = list(
        csv.reader(
            io.StringIO(admin_client.get("/admin/audit.tsv").get_data(as_text=True)),
            delimiter="\t",
        )
    )
    assert rows[0][2] == "Action" and rows[1][1:4] == ["root", "admin.user_disabled", "bob"]


def test_the_action_filter_lists_the_known_actions_by_name(admin_client):
    html = admin_client.get("/admin/audit?action=login.failed").get_data(as_text=True)
    select = html.split('<select id="action" name="action"')[1].split("</select>")[0]
    assert '<option value="login.failed" selected>Sign-in failed</option>' in select
    assert select.count("<option") == len(audit_words.WORDS) + 1  # and "Any action"
    unknown = admin_client.get("/admin/audit?action=future.event").get_data(as_text=True)
    assert '<option value="future.event" selected>future.event</option>' in unknown


def recorded_codes() -> set[str]:
    """Every action code the app writes, read from its source."""
    codes = set()
    for path in APP.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'audit\.record\(\s*"([a-z0-9_.]+)"', text))
        codes |= set(re.findall(r'action = "([a-z_]+\.[a-z_.]+)"', text))
    return codes


def test_every_code_the_app_records_has_words():
    codes = recorded_codes()
    assert {"login.ok", "subscription.updated", "admin.password_reset"} <= codes
    assert codes - set(audit_words.WORDS) == set()


@pytest.mark.parametrize("filters", ["", "?action=login.ok", "?user=root", "?start=2026-01-01"])
def test_audit_query_count_does_not_grow_with_the_page(admin_client, admin, count_queries, filters):
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "day": now.date(),
                "created_at": now,
                "action": "login.ok",
                "actor_id": admin.id,
                "actor_name": "root",
                "target": "root",
            }
            for _ in range(120)
        ],
    )
    db.session.commit()
    joiner = "&" if filters else "?"

    def run(n: int) -> int:
        with count_queries() as count:
            html = admin_client.get(f"/admin/audit{filters}{joiner}per_page={n}")
            assert len(read_table(html.get_data(as_text=True))[1]) == n
        return count()

    assert run(10) == run(100)


def test_audit_past_the_end_shows_the_last_page(admin_client, admin):
    for _ in range(3):
        add("login.ok", admin, "root")
    html = admin_client.get("/admin/audit?per_page=10&page=40").get_data(as_text=True)
    assert pager_text(html) == "1–3 of 3 events" and len(read_table(html)[1]) == 3
