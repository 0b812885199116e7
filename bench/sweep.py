"""Time the sweep of expired sessions on a seeded database (bench/seed.py).

    python bench/sweep.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench --people 5000

Each run makes one live session of each of --people people expire, then times the sweep that
ends them (statements run and milliseconds, the commit included), checks that
`users.open_sessions` still equals the live sessions of those people, and reopens the sessions
so the next run finds the same data. Sessions that expired by themselves since seeding are
ended first, and PostgreSQL is vacuumed before each run, outside the timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def one_parameter(dialect: str, ids: list[int]):
    """SELECT of these ids passed as one parameter (100,000 separate ones exceed the limits)."""
    import json

    from sqlalchemy import ARRAY, Integer, bindparam, cast, func, select

    if dialect == "postgresql":
        array = cast(bindparam("ids", ids, type_=ARRAY(Integer)), ARRAY(Integer))
        return select(func.unnest(array))
    return select(func.json_each(json.dumps(ids)).table_valued("value").c.value)


def vacuum(engine) -> None:
    """What autovacuum would have done after the last run's updates (it is off on the machine
    these figures come from): without it every run is slower than the one before."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE users, user_sessions"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from sqlalchemy import event, func, select, update

    from app import create_app
    from app.auth import sessions
    from app.extensions import db, utcnow
    from app.models import User, UserSession

    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": "bench"})
    with app.test_request_context():
        sessions.sweep()
        db.session.commit()
        first_live = (
            select(func.min(UserSession.id))
            .where(UserSession.ended_at.is_(None))
            .group_by(UserSession.user_id)
            .order_by(UserSession.user_id)
            .limit(args.people)
        )
        # Kept as one list parameter: after the sweep "first live" means other rows.
        ids = one_parameter(db.engine.dialect.name, list(db.session.scalars(first_live)))
        people = select(UserSession.user_id).where(UserSession.id.in_(ids))
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        timings = []
        for _ in range(args.runs):
            db.session.execute(
                update(UserSession)
                .where(UserSession.id.in_(ids))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
            db.session.commit()
            vacuum(db.engine)
            statements.clear()
            began = time.perf_counter()
            ended = sessions.sweep()
            db.session.commit()
            timings.append((time.perf_counter() - began) * 1000)
            count = len([s for s in statements if not s.startswith("BEGIN")])
            print(
                f"ended {ended} sessions of {args.people} people: {count} statements, "
                f"{timings[-1]:.0f} ms"
            )
            live = (
                select(func.count())
                .where(UserSession.user_id == User.id, UserSession.ended_at.is_(None))
                .scalar_subquery()
            )
            wrong = db.session.scalar(
                select(func.count()).where(User.id.in_(people), User.open_sessions != live)
            )
            assert wrong == 0, f"{wrong} people with a wrong open_sessions"
            db.session.execute(
                update(UserSession)
                .where(UserSession.id.in_(ids))
                .values(ended_at=None, end_reason=None, expires_at=utcnow() + timedelta(days=30))
            )
            db.session.execute(
                update(User).where(User.id.in_(people)).values(open_sessions=User.open_sessions + 1)
            )
            db.session.commit()
        print(f"median {statistics.median(timings):.0f} ms")


if __name__ == "__main__":
    main()
