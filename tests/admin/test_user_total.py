"""The users total comes from `row_counts`, kept by triggers: it must equal a real count after
every way people are added and removed, and the page must still be right without that row."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select, text

from app.extensions import db
from app.models import RowCount, User
from tests.auth.helpers import signup_data
from tests.conftest import needs_postgres


def stored() -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(RowCount.rows).where(RowCount.table_name == "users"))


def counted() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def shown_total(client) -> int:
    html = client.get("/admin/users").get_data(as_text=True)
    return int(re.search(r"of ([\d,]+) users", html).group(1).replace(",", ""))


def test_every_way_in_and_out_keeps_the_total_exact(app, admin_client, admin, bulk, make_user):
    assert stored() == counted() == 1
    bulk.users(25)  # one INSERT of many rows
    make_user(username="single")  # the ORM, one row
    signup = app.test_client()
    signup.submit("/signup", signup_data(email="new@example.com", username="newcomer"))
    assert stored() == counted() == 28
    created = admin_client.submit(
        "/admin/users/new",
        {
            "username": "made",
            "display_name": "Made",
            "email": "made@example.com",
            "password": "a long enough password for this",
            "password_confirm": "a long enough password for this",
        },
    )
    assert created.status_code == 303
    made = db.session.scalar(select(User).where(User.username == "made"))
    deleted = admin_client.submit(
        f"/admin/users/{made.id}/delete",
        {"confirm_username": "made"},
        page=f"/admin/users/{made.id}/edit",
    )
    assert deleted.status_code == 303
    db.session.execute(delete(User).where(User.username.like("bulk%")))  # many rows at once
    db.session.commit()
    assert stored() == counted() == 3
    assert shown_total(admin_client) == 3


def test_a_rolled_back_insert_leaves_the_total_alone(app, admin, make_user):
    make_user(username="kept")
    db.session.add(
        User(username="gone", username_key="gone", display_name="Gone", password_hash="x")
    )
    db.session.flush()
    db.session.rollback()
    assert stored() == counted() == 2


def test_without_its_row_the_page_counts_instead(admin_client, bulk):
    bulk.users(4)
    db.session.execute(delete(RowCount))
    db.session.commit()
    try:
        assert shown_total(admin_client) == 5
        overview = admin_client.get("/admin/").get_data(as_text=True)
        assert '<p class="figure" id="count-users">5</p>' in overview
    finally:  # on PostgreSQL the next test reuses this database, row_counts included
        db.session.add(RowCount(table_name="users", rows=counted()))
        db.session.commit()


@needs_postgres()
def test_truncate_sets_the_total_to_zero(app, bulk):
    bulk.users(3)
    db.session.execute(text("TRUNCATE users CASCADE"))
    db.session.commit()
    assert stored() == counted() == 0
