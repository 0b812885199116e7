"""GET /admin/users: filters, the pager's totals, a page past the end, "never" sorted last."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import update

from app import paging
from app.extensions import db, utcnow
from app.models import User
from tests.admin.tables import pager_text


def usernames(html: str) -> list[str]:
    return re.findall(r'<a href="/admin/users/\d+/edit"[^>]*>([^<]+)</a>', html)


def links(html: str, rel_or_class: str) -> list[str]:
    """The hrefs of the pager's page links or of the sortable headers, unescaped."""
    if rel_or_class == "pages":
        pages = html.split('class="pager-pages"')[1].split("</ul>")[0]
        found = re.findall(r'<a href="([^"]+)"', pages)
    else:
        found = re.findall(r'<th scope="col"[^>]*>\s*<a href="([^"]+)"', html)
    return [unescape(h) for h in found]


@pytest.fixture
def people(bulk):
    """Two of each kind besides the signed-in admin `root` (never signed in either)."""
    now = utcnow()
    kinds = {
        "admins": bulk.users(2, prefix="boss", is_admin=True, last_login_at=now),
        "disabled": bulk.users(2, prefix="gone", is_disabled=True, last_login_at=now),
        "never": bulk.users(2, prefix="new"),
        "failures": bulk.users(2, prefix="fail", failed_logins=100, last_login_at=now),
        "recovery": bulk.users(2, prefix="asked", recovery_locked=True, last_login_at=now),
        "plain": bulk.users(2, prefix="plain", failed_logins=99, last_login_at=now),
    }
    return kinds


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("admins", {"root", "boss00001", "boss00002"}),
        ("disabled", {"gone00003", "gone00004"}),
        ("never", {"root", "new00005", "new00006"}),
        ("locked", {"fail00007", "fail00008", "asked00009", "asked00010"}),
    ],
)
def test_each_filter_shows_its_people(admin_client, people, shown, expected):
    html = admin_client.get(f"/admin/users?filter={shown}").get_data(as_text=True)
    assert set(usernames(html)) == expected
    assert pager_text(html) == f"1–{len(expected)} of {len(expected)} users"
    assert f'href="/admin/users?filter={shown}" aria-current="true"' in html


def test_locked_follows_the_setting(admin_client, people):
    from app import settings

    settings.set_many({"login_max_failures": 99})
    db.session.commit()
    html = admin_client.get("/admin/users?filter=locked").get_data(as_text=True)
    assert {"plain00011", "plain00012"} <= set(usernames(html))
    assert "Locked</span>" in html


def test_an_unknown_filter_shows_everyone(admin_client, people):
    html = admin_client.get("/admin/users?filter=password_hash").get_data(as_text=True)
    assert len(usernames(html)) == 13


def test_filter_search_sort_and_page_size_stay_in_every_link(admin_client, bulk):
    bulk.users(60, prefix="quiet")
    url = "/admin/users?filter=never&q=quiet&sort=name&per_page=25&page=2"
    html = admin_client.get(url).get_data(as_text=True)
    assert usernames(html) == [f"quiet{n:05d}" for n in range(26, 51)]
    assert pager_text(html) == "26–50 of 60 users"
    for href in links(html, "pages"):
        assert all(p in href for p in ("filter=never", "q=quiet", "sort=name", "per_page=25"))
    for href in links(html, "headers"):  # a new sort starts again at page 1
        assert "filter=never" in href and "q=quiet" in href and not re.search("[?&]page=", href)
    # the search form carries the filter, sort and page size along
    form = html.split('class="table-search"')[1].split("</form>")[0]
    for name, value in (("filter", "never"), ("sort", "name"), ("per_page", "25")):
        assert f'name="{name}" value="{value}"' in form
    sizes = html.split('class="pager-sizes"')[1].split("</p>")[0]
    assert 'href="/admin/users?filter=never&amp;q=quiet&amp;sort=name&amp;per_page=50"' in sizes


def test_page_numbers_and_totals(admin_client, bulk):
    bulk.users(249, prefix="many")  # 250 with root
    html = admin_client.get("/admin/users?page=3&per_page=25").get_data(as_text=True)
    assert pager_text(html) == "51–75 of 250 users"
    numbers = re.findall(r">([\d,]+)</a>\s*</li>", html.split('class="pager-pages"')[1])
    assert numbers == ["1", "2", "3", "4", "5", "10"]
    assert 'aria-current="page">3</a>' in html
    assert "…" in html.split('class="pager-pages"')[1]


@pytest.mark.parametrize(
    "url",
    ["/admin/users?page=99", "/admin/users?page=99&filter=disabled", "/admin/users?page=99&q=gone"],
)
def test_a_page_past_the_end_shows_the_last_one(admin_client, bulk, url):
    bulk.users(60, prefix="gone", is_disabled=True)
    html = admin_client.get(url).get_data(as_text=True)
    total = 61 if "filter" not in url and "q=" not in url else 60
    assert pager_text(html) == f"51–{total} of {total} users"
    assert len(usernames(html)) == total - 50
    assert "of 1" not in pager_text(html) and "99" not in pager_text(html)


def test_an_empty_view_says_so_and_offers_the_way_back(admin_client):
    html = admin_client.get("/admin/users?filter=disabled&page=5").get_data(as_text=True)
    assert "No users in this view." in html and pager_text(html) == "No users"
    assert 'href="/admin/users">Show all users</a>' in html


@pytest.mark.parametrize("sort", ["last_login", "-last_login", "email", "-email"])
def test_never_and_missing_sort_last_both_ways(admin_client, bulk, sort):
    now = utcnow()
    early, late, never = bulk.users(3, prefix="when")
    for uid, at in ((early, now - timedelta(days=2)), (late, now)):
        db.session.execute(update(User).where(User.id == uid).values(last_login_at=at))
    db.session.execute(update(User).where(User.id == never).values(email=None, email_key=None))
    db.session.commit()
    names = usernames(admin_client.get(f"/admin/users?q=when&sort={sort}").get_data(as_text=True))
    if "last_login" in sort:
        assert names == (
            ["when00001", "when00002"] if sort[0] != "-" else ["when00002", "when00001"]
        ) + ["when00003"]
    else:
        assert names[-1] == "when00003"  # no email, last whichever way


def test_a_filtered_total_counts_only_so_far(admin_client, bulk, monkeypatch):
    """Past COUNT_STEP matches a filtered total is a lower bound, past the page asked for."""
    monkeypatch.setattr(paging, "COUNT_STEP", 40)
    bulk.users(100, prefix="off", is_disabled=True)
    first = admin_client.get("/admin/users?filter=disabled&per_page=10").get_data(as_text=True)
    assert pager_text(first) == "1–10 of more than 40 users"
    deep = admin_client.get("/admin/users?filter=disabled&per_page=10&page=6")
    assert pager_text(deep.get_data(as_text=True)) == "51–60 of more than 80 users"
    last = admin_client.get("/admin/users?filter=disabled&per_page=10&page=10")
    assert pager_text(last.get_data(as_text=True)) == "91–100 of 100 users"


@pytest.mark.parametrize("shown", ["admins", "disabled", "never", "locked"])
def test_query_count_with_a_filter_does_not_grow_with_the_page(
    admin_client, bulk, count_queries, shown
):
    fields = {
        "admins": {"is_admin": True},
        "disabled": {"is_disabled": True},
        "never": {},
        "locked": {"recovery_locked": True},
    }[shown]
    ids = bulk.users(110, prefix="many", **fields)
    bulk.sessions(ids[::3], per_user=1)
    bulk.subscriptions(ids[::2])

    def run(n: int) -> int:
        with count_queries() as count:
            response = admin_client.get(f"/admin/users?filter={shown}&per_page={n}&sort=-orgs")
            assert len(usernames(response.get_data(as_text=True))) == n
        return count()

    assert run(10) == run(100)
