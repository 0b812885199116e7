"""GET /admin/users: columns, search, sort, pages, escaping, and a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db, utcnow
from app.models import User, UserSession
from tests.admin.tables import pager_text, rows_by_first_word


def usernames(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+/edit"[^>]*>([^<]+)</a>', html)


def test_row_shows_every_column(admin_client, admin, bulk, make_org):
    ids = bulk.users(2, prefix="carol")
    bulk.sessions([ids[0]], per_user=3)
    bulk.org_with_projects(ids[0], [ids[0]], "labone")
    bulk.org_with_projects(admin.id, [ids[0]], "labtwo")
    bulk.subscriptions([ids[0]], plan="solo", status="active")
    db.session.execute(
        update(User).where(User.id == ids[0]).values(is_disabled=True, last_login_at=utcnow())
    )
    db.session.commit()
    html = admin_client.get("/admin/users?q=carol00001").get_data(as_text=True)
    row = rows_by_first_word(html)["carol00001"]
    assert row["User"] == "carol00001 Disabled Carol00001"  # username, badges, display name
    assert row["Email"] == "carol00001@example.com"
    assert row["Last sign-in"] == "just now"
    assert [row[h] for h in ("Sessions", "Orgs", "Projects", "Plan")] == ["3", "2", "2", "Solo"]


def test_plan_column_reads_free_without_a_paid_subscription(admin_client, bulk):
    paid, lapsed, none = bulk.users(3, prefix="planner")
    bulk.subscriptions([paid], plan="solo", status="trialing")
    bulk.subscriptions([lapsed], plan="solo", status="canceled")
    html = admin_client.get("/admin/users?q=planner&sort=name").get_data(as_text=True)
    plans = re.findall(r"<td>(Free|Solo|Team)</td>", html)
    assert plans == ["Solo", "Free", "Free"]


def test_newest_first_by_default_and_every_column_sorts(admin_client, admin, bulk):
    bulk.users(3, prefix="zed")  # created 1, 2, 3 minutes ago
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert usernames(html) == ["root", "zed00001", "zed00002", "zed00003"]
    assert usernames(admin_client.get("/admin/users?sort=name").get_data(as_text=True)) == [
        "root",
        "zed00001",
        "zed00002",
        "zed00003",
    ]
    assert usernames(admin_client.get("/admin/users?sort=-name").get_data(as_text=True)) == [
        "zed00003",
        "zed00002",
        "zed00001",
        "root",
    ]
    assert usernames(admin_client.get("/admin/users?sort=created").get_data(as_text=True)) == [
        "zed00003",
        "zed00002",
        "zed00001",
        "root",
    ]
    for key in (
        "display_name",
        "email",
        "admin",
        "disabled",
        "last_login",
        "sessions",
        "orgs",
        "projects",
        "plan",
    ):
        for sort in (key, "-" + key):
            response = admin_client.get(f"/admin/users?sort={sort}")
            assert response.status_code == 200
            assert sorted(usernames(response.get_data(as_text=True))) == [
                "root",
                "zed00001",
                "zed00002",
                "zed00003",
            ]


def test_sort_by_sessions_and_unknown_sort_falls_back(admin_client, bulk):
    a, b, c = bulk.users(3, prefix="sess")
    bulk.sessions([b], per_user=5)
    bulk.sessions([c], per_user=2)
    html = admin_client.get("/admin/users?sort=-sessions&q=sess").get_data(as_text=True)
    assert usernames(html) == ["sess00002", "sess00003", "sess00001"]
    default = admin_client.get("/admin/users?sort=password_hash").get_data(as_text=True)
    assert usernames(default) == usernames(admin_client.get("/admin/users").get_data(as_text=True))


def test_sort_by_organizations_and_projects(admin_client, bulk):
    a, b, c = bulk.users(3, prefix="orgy")
    bulk.org_with_projects(a, [b, c], "one")  # a: 1 org; b, c: 1 org and 1 project each
    bulk.org_with_projects(a, [b], "two")  # a: 2 orgs; b: 2 orgs, 2 projects
    html = admin_client.get("/admin/users?sort=-orgs&q=orgy").get_data(as_text=True)
    assert usernames(html) == ["orgy00002", "orgy00001", "orgy00003"]  # ties: newest id first
    html = admin_client.get("/admin/users?sort=projects&q=orgy").get_data(as_text=True)
    assert usernames(html) == ["orgy00001", "orgy00003", "orgy00002"]


def test_search_is_case_insensitive_substring_of_name_display_name_or_email(
    admin_client, make_user
):
    make_user(username="alice", display_name="Alice Liddell", email="al@wonder.example.org")
    make_user(username="bob", display_name="Bob Marley", email="bob@example.com")
    make_user(username="carl", display_name="Carl", email="carl@LIDDELL.example.org")
    assert sorted(usernames(admin_client.get("/admin/users?q=liDDell").get_data(as_text=True))) == [
        "alice",
        "carl",
    ]
    assert usernames(admin_client.get("/admin/users?q=BO").get_data(as_text=True)) == ["bob"]
    assert usernames(admin_client.get("/admin/users?q=wonder").get_data(as_text=True)) == ["alice"]


@pytest.mark.parametrize("q", ["%", "_", "\\", "' OR 1=1 --"])
def test_search_metacharacters_are_literal(admin_client, make_user, q):
    make_user(username="plain")
    response = admin_client.get("/admin/users", query_string={"q": q})
    assert response.status_code == 200
    assert "plain" not in usernames(response.get_data(as_text=True))


def test_a_search_with_a_nul_is_a_bad_request(admin_client):
    # PostgreSQL cannot hold NUL in text; the request is refused before any query runs.
    assert admin_client.get("/admin/users", query_string={"q": "a\x00b"}).status_code == 400


def test_pages_of_fifty_and_per_page(admin_client, bulk):
    bulk.users(120, prefix="pg")
    first = usernames(admin_client.get("/admin/users").get_data(as_text=True))
    assert len(first) == 50 and first[0] == "root"
    third = admin_client.get("/admin/users?page=3").get_data(as_text=True)
    assert len(usernames(third)) == 21 and pager_text(third) == "101–121 of 121 users"
    assert len(usernames(admin_client.get("/admin/users?per_page=10").get_data(as_text=True))) == 10
    assert (
        len(usernames(admin_client.get("/admin/users?per_page=500").get_data(as_text=True))) == 100
    )
    assert len(usernames(admin_client.get("/admin/users?per_page=1").get_data(as_text=True))) == 10
    seen = set()
    for page in (1, 2, 3):
        seen |= set(
            usernames(
                admin_client.get(f"/admin/users?page={page}&sort=-sessions").get_data(as_text=True)
            )
        )
    assert len(seen) == 121
    assert admin_client.get("/admin/users?page=99").status_code == 200
    assert admin_client.get("/admin/users?page=x").status_code == 200


def test_expired_sessions_are_not_counted(admin_client, bulk):
    (uid,) = bulk.users(1, prefix="stale")
    bulk.sessions([uid], per_user=2)
    assert f'href="/admin/sessions?user={uid}">2</a>' in admin_client.get(
        "/admin/users?q=stale"
    ).get_data(as_text=True)
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == uid)
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    html = admin_client.get("/admin/users?q=stale").get_data(as_text=True)
    assert f"/admin/sessions?user={uid}" not in html
    db.session.expire_all()
    assert db.session.get(User, uid).open_sessions == 0


def test_names_are_escaped(admin_client, make_user):
    make_user(username="evil", display_name="<script>alert(1)</script>")
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users?per_page={n}",
        "/admin/users?per_page={n}&q=many",
        "/admin/users?per_page={n}&sort=-orgs",
    ],
)
def test_query_count_does_not_grow_with_the_page(admin_client, admin, bulk, count_queries, url):
    ids = bulk.users(110, prefix="many")
    bulk.sessions(ids, per_user=1)
    bulk.org_with_projects(admin.id, ids, "big")
    bulk.subscriptions(ids[::2])

    def run(n: int) -> int:
        with count_queries() as count:
            response = admin_client.get(url.format(n=n))
            assert response.status_code == 200
            assert len(usernames(response.get_data(as_text=True))) == n
        return count()

    assert run(10) == run(100)
