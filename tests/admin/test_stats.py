"""Statistics per day from the audit log, its chart and the TSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from sqlalchemy import func, insert, select

from app.admin import statistics
from app.extensions import db, utcnow
from app.models import AuditEvent, DailyStat
from tests.admin.tables import read_table

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def add(day: date, action: str, actor_id: int | None = None, times: int = 1) -> None:
    at = utcnow().replace(year=day.year, month=day.month, day=day.day)
    db.session.execute(
        insert(AuditEvent),
        [
            {"day": day, "created_at": at, "action": action, "actor_id": actor_id}
            for _ in range(times)
        ],
    )


def seed(admin_id: int, other_id: int) -> None:
    add(D1, "signup", times=2)
    add(D1, "login.ok", admin_id, times=3)
    add(D1, "login.failed", times=4)
    add(D1, "recovery.ok", other_id)
    add(D2, "session.active", other_id)
    add(D2, "login.ok", admin_id)
    add(D2, "login.ok", other_id, times=2)
    add(D2, "org.created", admin_id)
    add(D2, "project.created", admin_id, times=5)
    add(D2, "subscription.created", times=2)
    add(D2, "subscription.cancelled")
    add(D3 + timedelta(days=1), "signup", times=7)  # outside the range
    add(D1 - timedelta(days=1), "login.ok", admin_id)  # outside the range
    add(D2, "admin.user_created", admin_id)  # not a statistic
    db.session.commit()


EXPECTED = [
    # date, sign-ups, sign-ins, failed, recoveries, active, orgs, projects, subs new, cancelled
    ["2026-03-01", "2", "3", "4", "1", "1", "0", "0", "0", "0"],
    ["2026-03-02", "0", "3", "0", "0", "2", "1", "5", "2", "1"],
    ["2026-03-03", "0", "0", "0", "0", "0", "0", "0", "0", "0"],
]


def test_table_counts_each_day_including_empty_ones(admin_client, admin, make_user):
    seed(admin.id, make_user(username="wes").id)
    response = admin_client.get("/admin/stats?start=2026-03-01&end=2026-03-03")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    headers, table = read_table(html)
    assert headers[:3] == ["Date", "Sign-ups", "Sign-ins"]
    assert table == EXPECTED
    assert "<svg" in html and "<polyline" in html and "<script>" not in html.split("</head>")[1]


def test_tsv_is_the_same_table(admin_client, admin, make_user):
    seed(admin.id, make_user(username="xan").id)
    response = admin_client.get("/admin/stats.tsv?start=2026-03-01&end=2026-03-03")
    assert response.status_code == 200
    assert response.mimetype == "text/tab-separated-values"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter="\t"))
    assert rows[0] == [
        "Date",
        "Sign-ups",
        "Sign-ins",
        "Failed sign-ins",
        "Recoveries",
        "Active users",
        "New organizations",
        "New projects",
        "New subscriptions",
        "Cancelled subscriptions",
    ]
    assert rows[1:] == EXPECTED


def test_default_range_is_the_last_30_days(admin_client, admin):
    today = utcnow().date()
    add(today, "signup", times=3)
    add(today - timedelta(days=29), "signup")
    add(today - timedelta(days=30), "signup", times=50)
    db.session.commit()
    rows = list(
        csv.reader(
            io.StringIO(admin_client.get("/admin/stats.tsv").get_data(as_text=True)), delimiter="\t"
        )
    )[1:]
    assert len(rows) == 30 and rows[0][0] == (today - timedelta(days=29)).isoformat()
    assert rows[-1][0] == today.isoformat() and rows[-1][1] == "3" and rows[0][1] == "1"
    html = admin_client.get("/admin/stats").get_data(as_text=True)
    assert f'value="{today.isoformat()}"' in html and "Update" in html


def test_bad_reversed_or_too_long_ranges(admin_client, admin):
    for query, message in (
        ("start=2026-13-01", "YYYY-MM-DD"),
        ("start=yesterday&end=2026-01-01", "YYYY-MM-DD"),
        ("start=2026-03-05&end=2026-03-01", "before the start"),
        ("start=2024-01-01&end=2026-01-01", "at most 366 days"),
    ):
        page = admin_client.get(f"/admin/stats?{query}")
        assert page.status_code == 422 and message in page.get_data(as_text=True), query
        tsv = admin_client.get(f"/admin/stats.tsv?{query}")
        assert tsv.status_code == 400 and message in tsv.get_data(as_text=True), query
    assert admin_client.get("/admin/stats?start=2025-01-01&end=2026-01-01").status_code == 200


def test_aggregation_runs_in_one_query(admin_client, admin, count_queries):
    for n in range(1, 20):
        add(D1 + timedelta(days=n), "login.ok", admin.id, times=n)
    db.session.commit()

    def run(end: str) -> int:
        with count_queries() as count:
            assert (
                admin_client.get(f"/admin/stats.tsv?start=2026-03-01&end={end}").status_code == 200
            )
        return count()

    assert run("2026-03-02") == run("2026-03-25")


def stats_table(client, start: date, end: date) -> list[list[str]]:
    response = client.get(f"/admin/stats.tsv?start={start}&end={end}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter="\t"))[1:]


def test_a_closed_day_is_counted_once_then_read_from_daily_stats(
    admin_client, admin, make_user, count_queries
):
    seed(admin.id, make_user(username="yan").id)
    with count_queries() as cold:
        assert stats_table(admin_client, D1, D3) == EXPECTED
    stored = db.session.execute(
        select(DailyStat.day, func.count()).group_by(DailyStat.day).order_by(DailyStat.day)
    ).all()
    assert stored == [
        (D1, len(statistics.COLUMNS)),
        (D2, len(statistics.COLUMNS)),
        (D3, len(statistics.COLUMNS)),
    ]  # the empty day too: zeros are stored
    add(D2, "signup", times=40)  # cannot happen for a closed day: proves the table is read
    db.session.commit()
    with count_queries() as warm:
        assert stats_table(admin_client, D1, D3) == EXPECTED
    assert warm() == cold() - 2  # neither the count over audit_events nor the insert


def test_only_the_missing_days_of_a_range_are_counted(admin_client, admin, make_user):
    seed(admin.id, make_user(username="zed").id)
    assert stats_table(admin_client, D2, D2) == EXPECTED[1:2]
    add(D2, "signup", times=40)  # would show if D2 were counted again
    db.session.commit()
    assert stats_table(admin_client, D1, D3) == EXPECTED


def test_yesterday_and_today_are_always_counted_live(admin_client, admin):
    today = utcnow().date()
    yesterday, closed = today - timedelta(days=1), today - timedelta(days=2)
    for day in (closed, yesterday, today):
        add(day, "login.ok", admin.id)
    db.session.commit()
    first = stats_table(admin_client, closed, today)
    assert [row[2] for row in first] == ["1", "1", "1"]
    add(yesterday, "login.ok", admin.id, times=2)  # committed just after midnight
    add(today, "login.ok", admin.id, times=5)
    db.session.commit()
    assert [row[2] for row in stats_table(admin_client, closed, today)] == ["1", "3", "6"]
    assert db.session.scalars(select(DailyStat.day).distinct()).all() == [closed]


def test_stored_values_equal_the_live_count(admin_client, admin, make_user):
    other = make_user(username="abe").id
    today = utcnow().date()
    for n in range(2, 40):
        day = today - timedelta(days=n)
        add(day, "login.ok", admin.id, times=n % 4 + 1)
        add(day, "session.active", other if n % 3 else admin.id, times=n % 5 + 1)
        if n % 2:
            add(day, "signup", times=n % 7 + 1)
    db.session.commit()
    start, end = today - timedelta(days=39), today - timedelta(days=2)
    span = [start + timedelta(n) for n in range((end - start).days + 1)]
    live = [[d.isoformat(), *map(str, v)] for d, v in statistics._counted(span).items()]
    assert stats_table(admin_client, start, end) == live  # counted and stored
    assert stats_table(admin_client, start, end) == live  # read back
    assert stats_table(admin_client, start, today)[:-2] == live


def test_every_measure_can_be_charted_and_the_choice_stays_in_the_url(admin_client, admin):
    add(D1, "signup", times=2)
    add(D2, "org.created", admin.id, times=3)
    db.session.commit()
    url = "/admin/stats?start=2026-03-01&end=2026-03-03"
    default = admin_client.get(url).get_data(as_text=True)
    assert default.count("<polyline") == len(statistics.CHARTED)
    for column in statistics.COLUMNS:
        assert f'name="measure" value="{column.key}"' in default
    chosen = admin_client.get(f"{url}&measure=new_orgs&measure=signups&measure=bogus")
    html = chosen.get_data(as_text=True)
    assert chosen.status_code == 200 and html.count("<polyline") == 2
    assert 'value="new_orgs" checked' in html and 'value="logins" checked' not in html
    # values on hover: a title per point, and per day for all the measures shown
    assert "<title>New organizations on 2026-03-02: 3</title>" in html
    assert "<title>2026-03-01: Sign-ups 2, New organizations 0</title>" in html
    quick = re.findall(r'href="(/admin/stats\?[^"]+)"', html)
    assert quick and all("measure=signups&amp;measure=new_orgs" in q for q in quick)


def test_the_default_measures_are_left_out_of_quick_links(admin_client, admin):
    html = admin_client.get("/admin/stats").get_data(as_text=True)
    quick = re.findall(r'href="(/admin/stats\?[^"]+)"', html)
    assert len(quick) == 4 and not any("measure" in q for q in quick)
    assert 'aria-current="true">30 days</a>' in html
