"""Time GET /api/v1/users on a seeded database (bench/seed.py), next to the HTML users table.

    python bench/api_users.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench
    python bench/api_users.py sqlite:////tmp/gatehouse-bench.db --runs 30

The app is create_app() with that DATABASE_URL (and a rate limit the bench cannot reach). The
API is called with a bearer token issued to the seeded admin (`read:users` and `admin`); the
HTML pages with a real session record, as bench/admin_pages.py does. Each case is fetched once,
2 more times to warm up, then --runs times; the median and 95th percentile are printed, with the
SQL statements each request ran (counted by a `before_cursor_execute` listener on the engine)
and the rows the page shows.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admin_pages import p95, settle, signed_in_client  # noqa: E402
from seed import SURNAMES  # noqa: E402

TARGET_MS = 50
DEEP_ROW = 50_000
API = "/api/v1/users"
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)


class Statements:
    """Counts the statements the engine sends to the database, BEGIN, COMMIT and the like left
    out: the app sends SQLite's BEGIN itself, psycopg sends PostgreSQL's implicitly, so only
    the queries compare."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        self.log: list[str] = []
        self.keep = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not TRANSACTION_CONTROL.match(statement):
            self.count += 1
        if self.keep:
            self.log.append(statement)


def issue_token(app) -> str:
    from sqlalchemy import select

    from app import tokens
    from app.extensions import db
    from app.models import User

    with app.test_request_context(method="POST"):
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        _, raw = tokens.issue(admin, "api bench", 1, ["read:users", "admin"])
        db.session.commit()
    return raw


def cursor_at(app, sort: str, row: int) -> tuple[str, int]:
    """The cursor a client would hold after reading `row` rows in `sort` order (the cursor of
    that row, as app/api/users.py makes it), and the id of the row after it."""
    from sqlalchemy import select

    from app.api import cursor
    from app.extensions import db
    from app.models import User

    by_name = sort.lstrip("-") == "username"
    key = User.username_key if by_name else User.created_at
    descending = sort.startswith("-")
    order = [key.desc() if descending else key.asc()]
    if not by_name:
        order.append(User.id.desc() if descending else User.id.asc())
    with app.app_context():
        found = db.session.execute(
            select(User.id, key).order_by(*order).offset(row - 1).limit(2)
        ).all()
    (last_id, value), (following_id, _) = found
    value = value if by_name else value.isoformat()
    return cursor.encode(sort, value, last_id), following_id


def user_count(app) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def cases(app) -> list[tuple[str, str, str, int | None]]:
    """(label, kind, url, id the first row must have) for each case; kind is api or html."""
    surname = SURNAMES[123]
    deep, deep_first = cursor_at(app, "username", DEEP_ROW)
    deep_created, deep_created_first = cursor_at(app, "-created", DEEP_ROW)
    total = user_count(app)
    last, last_first = cursor_at(app, "username", total - 50)
    return [
        ("API first page, sort username", "api", f"{API}?limit=50&sort=username", None),
        ("API first page, sort -created", "api", f"{API}?limit=50&sort=-created", None),
        (f"API search q={surname} (~100)", "api", f"{API}?q={surname}", None),
        ("API search q=ka (many)", "api", f"{API}?q=ka", None),
        # Two letters give pg_trgm no trigram, and no row matches: every row is read.
        ("API search q=qz (none; worst case)", "api", f"{API}?q=qz", None),
        (f"API cursor at row {DEEP_ROW:,}, username", "api", f"{API}?cursor={deep}", deep_first),
        (
            f"API cursor at row {DEEP_ROW:,}, -created",
            "api",
            f"{API}?sort=-created&cursor={deep_created}",
            deep_created_first,
        ),
        ("API last page, username", "api", f"{API}?cursor={last}", last_first),
        ("HTML /admin/users", "html", "/admin/users", None),
        (f"HTML /admin/users?q={surname}", "html", f"/admin/users?q={surname}", None),
        ("HTML /admin/users?page=1000", "html", "/admin/users?page=1000", None),
    ]


def fetch(client, kind: str, url: str, headers: dict, counter: Statements):
    """(ms, statements, rows, first row's id or None, next_cursor or None)."""
    counter.count = 0
    began = time.perf_counter()
    response = client.get(url, headers=headers if kind == "api" else None)
    body = response.get_data()
    elapsed = (time.perf_counter() - began) * 1000
    statements = counter.count
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}\n{body[:500]!r}")
    if kind == "api":
        data = response.get_json()
        items = data["items"]
        first = items[0]["id"] if items else None
        return elapsed, statements, len(items), first, data["next_cursor"]
    text = body.decode()
    tbody = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = 0 if 'class="empty"' in tbody else tbody.count("<tr>")
    return elapsed, statements, rows, None, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (>= 1)")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one request per case"
    )
    args = parser.parse_args()

    from app import create_app
    from app.extensions import db

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "RATELIMIT_STORAGE_URI": "memory://",
            "API_RATE_LIMIT": "1000000 per minute",
        }
    )
    client = signed_in_client(app)
    settle(app, client)
    headers = {"Authorization": f"Bearer {issue_token(app)}"}
    with app.app_context():
        counter = Statements(db.engine)
    all_cases = cases(app)

    print(
        f"{args.database_url.split(':')[0]}, {args.runs} runs per case after "
        f"{args.warmup} untimed (ms); stmts: queries per request, the most frequent "
        f"count (* when it varied)"
    )
    print(f"{'case':42} {'first':>7} {'median':>7} {'p95':>7} {'stmts':>6} {'rows':>5}  next")
    for label, kind, url, first_id in all_cases:
        first_ms, _, rows, first, next_cursor = fetch(client, kind, url, headers, counter)
        if first_id is not None and first != first_id:
            raise SystemExit(f"{label}: page begins at id {first}, expected {first_id}")
        for _ in range(args.warmup - 1):
            fetch(client, kind, url, headers, counter)
        timings, counts = [], Counter()
        for _ in range(args.runs):
            ms, statements, rows, _, next_cursor = fetch(client, kind, url, headers, counter)
            timings.append(ms)
            counts[statements] += 1
        common = counts.most_common(1)[0][0]
        spread = f"{common}" if len(counts) == 1 else f"{common}*"
        median = statistics.median(timings)
        more = "" if kind == "html" else ("yes" if next_cursor else "no")
        flag = "" if median < TARGET_MS else f"  (over {TARGET_MS} ms)"
        print(
            f"{label:42} {first_ms:7.1f} {median:7.1f} {p95(timings):7.1f} {spread:>6} "
            f"{rows:5}  {more}{flag}"
        )
        if len(counts) > 1:
            print(f"{'':42} statements seen: {dict(sorted(counts.items()))}")
        if args.show_sql:
            counter.keep, counter.log = True, []
            fetch(client, kind, url, headers, counter)
            counter.keep = False
            for statement in counter.log:
                print("    " + " ".join(statement.split())[:160])


if __name__ == "__main__":
    main()
