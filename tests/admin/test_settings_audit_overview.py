"""Settings form, audit log and the overview page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from sqlalchemy import insert, select

from app import passwords, settings
from app.extensions import db, utcnow
from app.models import AuditEvent, Subscription, User
from tests.admin.tables import pager_text, read_table
from tests.factories import PASSWORD


def current(key: str):
    db.session.expire_all()
    from flask import g

    g.pop("settings", None)
    return settings.get(key)


# --- settings -------------------------------------------------------------------------------


def test_form_has_a_field_per_definition(admin_client):
    html = admin_client.get("/admin/settings").get_data(as_text=True)
    for key in settings.DEFINITIONS:
        assert f'name="{key}"' in html, key
    assert "below 15" not in html


def test_save_audits_each_change_and_takes_effect(admin_client, app, admin):
    form = {k: v for k, v in settings.all_values().items() if not isinstance(v, bool)}
    form.update(password_min_length="12", site_name="Lab Accounts")  # registration_open: off
    response = admin_client.submit("/admin/settings", form)
    assert response.status_code == 303
    assert current("password_min_length") == 12 and current("site_name") == "Lab Accounts"
    assert current("registration_open") is False
    details = sorted(
        e.detail
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "settings.changed")
        )
    )
    assert details == [
        "password_min_length: 15 -> 12",
        "registration_open: True -> False",
        "site_name: Gatehouse -> Lab Accounts",
    ]
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "below 15" in page and "Lab Accounts" in page
    assert app.test_client().get("/signup").status_code == 403  # another client, next request


def test_fields_left_out_keep_their_value(admin_client):
    response = admin_client.submit(
        "/admin/settings", {"session_idle_minutes": "30", "registration_open": "y"}
    )
    assert response.status_code == 303
    assert current("session_idle_minutes") == 30 and current("site_name") == "Gatehouse"


def test_out_of_range_and_bad_values_are_refused_next_to_the_field(admin_client):
    for data, message in (
        ({"password_min_length": "5"}, "between 6 and 64"),
        ({"password_min_length": "65"}, "between 6 and 64"),
        ({"login_ip_per_minute": "ten"}, "Not a valid integer"),
        ({"site_name": ""}, "This field is required"),
        ({"site_name": "x" * 61}, "between 1 and 60"),
        ({"site_name": "bad\x00name"}, "control characters"),
    ):
        response = admin_client.submit("/admin/settings", {"registration_open": "y", **data})
        assert response.status_code == 422, data
        html = response.get_data(as_text=True)
        assert message in html and "field-error" in html, data
    assert current("password_min_length") == 15 and current("site_name") == "Gatehouse"


# --- audit ----------------------------------------------------------------------------------


def add_events(admin: User, other: User) -> None:
    now = utcnow()
    rows = [
        {
            "day": date(2026, 1, d),
            "created_at": now,
            "action": a,
            "actor_id": actor.id,
            "actor_name": actor.username,
            "target": t,
            "ip": "198.51.100.7",
            "detail": "x\ty",
        }
        for d, a, actor, t in (
            (1, "login.ok", admin, "root"),
            (2, "login.failed", other, "wil"),
            (3, "admin.user_created", admin, "<script>alert(1)</script>"),
            (4, "login.ok", other, "wil"),
        )
    ]
    db.session.execute(insert(AuditEvent), rows)
    db.session.commit()


def events_shown(client, url: str) -> list[str]:
    """The raw action code under each event of the page, top to bottom."""
    _, rows = read_table(client.get(url).get_data(as_text=True))
    return [row[1].rsplit(" ", 1)[-1] for row in rows if len(row) > 1]


def test_audit_log_filters(admin_client, admin, make_user):
    other = make_user(username="wil")
    add_events(admin, other)
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "198.51.100.7" in html and "&lt;script&gt;" in html and "<script>alert" not in html
    assert events_shown(admin_client, "/admin/audit?user=WIL") == ["login.ok", "login.failed"]
    assert events_shown(admin_client, "/admin/audit?action=login.ok") == ["login.ok", "login.ok"]
    by_date = events_shown(admin_client, "/admin/audit?start=2026-01-02&end=2026-01-03")
    assert by_date == ["admin.user_created", "login.failed"]
    bad = admin_client.get("/admin/audit?start=2026-01-05&end=2026-01-01")
    assert bad.status_code == 422 and "before the start" in bad.get_data(as_text=True)
    assert admin_client.get("/admin/audit?start=nope").status_code == 422


def test_audit_tsv_uses_the_same_filters(admin_client, admin, make_user):
    add_events(admin, make_user(username="wil"))
    response = admin_client.get("/admin/audit.tsv?user=wil")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter="\t"))
    assert rows[0][:3] == ["Time (UTC)", "Actor", "Action"]
    assert [r[2] for r in rows[1:]] == ["login.ok", "login.failed"]
    assert all(len(r) == len(rows[0]) for r in rows) and rows[1][-1] == "x y"
    assert admin_client.get("/admin/audit.tsv?end=bad").status_code == 400


def test_audit_pages_and_constant_queries(admin_client, admin, count_queries):
    now = utcnow()
    db.session.execute(
        insert(AuditEvent),
        [
            {"day": now.date(), "created_at": now, "action": "login.ok", "actor_name": f"u{i}"}
            for i in range(120)
        ],
    )
    db.session.commit()

    def run(n: int) -> int:
        with count_queries() as count:
            html = admin_client.get(f"/admin/audit?per_page={n}").get_data(as_text=True)
            assert len(read_table(html)[1]) == n
        return count()

    assert run(10) == run(100)
    second = admin_client.get("/admin/audit?page=2&per_page=100").get_data(as_text=True)
    assert len(read_table(second)[1]) == 20 and 'rel="next"' not in second
    assert pager_text(second) == "101–120 of 120 events"


# --- overview -------------------------------------------------------------------------------


def test_overview_counts_and_warnings(admin_client, admin, make_user, factory, make_org):
    user = make_user(username="xena")
    factory.session_for(user)
    make_org(owner=user, slug="xlab")
    db.session.add_all(
        [
            Subscription(user_id=user.id, plan="solo", status="active"),
            Subscription(user_id=admin.id, plan="solo", status="canceled"),
        ]
    )
    db.session.commit()
    html = admin_client.get("/admin/").get_data(as_text=True)
    figures = dict(re.findall(r'id="count-(\w+)">(\d+)<', html))
    assert figures == {"users": "2", "sessions": "2", "orgs": "1", "paying": "1"}
    assert "Registration is open" in html and "Stripe is not configured" in html
    assert "Mail is not configured" in html and "initial password" not in html


def test_overview_warns_about_the_default_admin_password(admin_client, make_user):
    make_user(username="admin", password="admin", is_admin=True)
    assert "initial password" in admin_client.get("/admin/").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "admin"))
    user.password_hash = passwords.hash_password(PASSWORD)
    db.session.commit()
    assert "initial password" not in admin_client.get("/admin/").get_data(as_text=True)
    user.must_change_password = True
    db.session.commit()
    assert "initial password" in admin_client.get("/admin/").get_data(as_text=True)


def test_overview_quiet_when_configured(app, admin_client, admin):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", MAIL_SERVER="localhost")
    settings.set_many({"registration_open": False})
    db.session.commit()
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "flash-warning" not in html
