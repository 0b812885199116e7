"""Time the admin pages on a seeded database (bench/seed.py) through the real app.

    python bench/admin_pages.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench
    python bench/admin_pages.py sqlite:///bench/gatehouse-bench.db --runs 30

The app is create_app() with that DATABASE_URL, driven by Flask's test client signed in as the
seeded admin (a real session record, as a browser's cookie would carry). Each page is fetched
a few times to warm up, then --runs times; the median and 95th percentile are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seed import SURNAMES  # noqa: E402

TARGET_MS = 50


def pages(today) -> list[tuple[str, str]]:
    return [
        ("users, page 1", "/admin/users"),
        (f"users, search '{SURNAMES[123]}'", f"/admin/users?q={SURNAMES[123]}"),
        ("users, sort by live sessions", "/admin/users?sort=-sessions"),
        ("users, page 1000", "/admin/users?page=1000"),
        ("users, never signed in", "/admin/users?filter=never"),
        ("users, administrators", "/admin/users?filter=admins"),
        ("audit log, page 1", "/admin/audit"),
        ("sessions, page 1", "/admin/sessions"),
        ("stats, 90 days", f"/admin/stats?start={today - timedelta(days=89)}&end={today}"),
        (
            "stats.tsv, 366 days",
            f"/admin/stats.tsv?start={today - timedelta(days=365)}&end={today}",
        ),
    ]


def signed_in_client(app):
    from sqlalchemy import select

    from app.auth import sessions
    from app.extensions import db
    from app.models import User

    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        _, token = sessions.start(admin, remember=True, ip="127.0.0.1", user_agent="bench")
        db.session.commit()
        admin_id = admin.id
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(sid=token, _user_id=str(admin_id), _fresh=True)
    return client


def fetch(client, url: str) -> float:
    began = time.perf_counter()
    response = client.get(url)
    body = response.get_data()
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}\n{body[:500]!r}")
    return elapsed


def measure(client, url: str, runs: int, warmup: int = 3) -> tuple[float, list[float]]:
    """The first request's time, then `runs` timings after `warmup` more."""
    first = fetch(client, url)
    timings = [fetch(client, url) for _ in range(warmup - 1 + runs)][warmup - 1 :]
    return first, timings


def forget_daily_stats(app) -> None:
    """Empty the stored per-day statistics so a page's first request counts them all (cold)."""
    from sqlalchemy import delete

    from app.extensions import db
    from app.models import DailyStat

    with app.app_context():
        db.session.execute(delete(DailyStat))
        db.session.commit()


def settle(app, client) -> None:
    """End the sessions that expired since the last run (seeding leaves many short sessions that
    pass their idle timeout within the hour), then, on PostgreSQL, VACUUM ANALYZE: what
    autovacuum does on a server after such a batch of updates. This machine's PostgreSQL runs
    with autovacuum off, so without it the dead rows that batch leaves would slow every
    index-only scan for the rest of the run."""
    from sqlalchemy import text

    from app.extensions import db

    began = time.perf_counter()
    fetch(client, "/admin/sessions")
    print(f"first sweep: {(time.perf_counter() - began) * 1000:.0f} ms")
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE users, user_sessions"))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from app import create_app
    from app.extensions import utcnow

    app = create_app(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "bench",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    client = signed_in_client(app)
    settle(app, client)
    print(
        f"{args.database_url.split(':')[0]}, {args.runs} runs per page (ms); "
        f"first = the first request (stats: counted from audit_events and stored)"
    )
    print(f"{'page':40} {'first':>8} {'median':>8} {'p95':>8}")
    for label, url in pages(utcnow().date()):
        if url.startswith("/admin/stats"):
            forget_daily_stats(app)
        first, timings = measure(client, url, args.runs)
        median = statistics.median(timings)
        flag = "" if median < TARGET_MS else f"  (over {TARGET_MS} ms)"
        print(f"{label:40} {first:8.1f} {median:8.1f} {p95(timings):8.1f}{flag}")


if __name__ == "__main__":
    main()
