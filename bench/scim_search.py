"""Time the SCIM searches an identity provider sends, on a database seeded by bench/seed.py.

    python bench/scim_search.py sqlite:///bench/gatehouse-bench.db
    python bench/scim_search.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench

Each query runs in-process through the Flask test client (no network), as the `admin` account's
token with the scope `scim`; the median of 20 runs is printed, with the statements run.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from app import create_app, tokens  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402

QUERIES = [
    "/Users?count=100",
    "/Users?startIndex=90001&count=100",
    '/Users?filter=userName eq "{name}"',
    '/Users?filter=emails.value eq "{email}"',
    '/Users?filter=externalId eq "nobody"',
    '/Users?filter=userName sw "{prefix}"&count=100',
    "/Users?filter=active eq false&count=100",
    '/Users?filter=displayName co "zzz"&count=10',
]


def main() -> None:
    app = create_app({"DATABASE_URL": sys.argv[1], "RATELIMIT_ENABLED": False})
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        some = db.session.scalar(select(User).where(User.is_admin.is_(False)).limit(1))
        with app.test_request_context(method="POST"):
            _, raw = tokens.issue(admin, "bench", 1, ["scim"])
            db.session.commit()
        values = {"name": some.username, "email": some.email, "prefix": some.username[:3]}
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    for path in QUERIES:
        url = "/scim/v2" + path.format(**values)
        times = []
        for _ in range(20):
            statements.clear()
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)
        total = response.json["totalResults"]
        median = statistics.median(times)
        print(f"{median:8.1f} ms {len(statements):3} stmts {total:7} found  {url}")


if __name__ == "__main__":
    main()
