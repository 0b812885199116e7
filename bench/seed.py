"""Fill an empty Gatehouse database with benchmark data for the admin pages.

    python bench/seed.py sqlite:///bench/gatehouse-bench.db
    python bench/seed.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench

100,000 users, 300,000 session records (60 % live) and 1,000,000 audit events over the last
400 days. Migrations are applied first. PostgreSQL gets COPY, SQLite executemany in large
batches; one argon2 hash serves every user; users.open_sessions is set to the exact number of
live sessions. The admin is `admin` with password BENCH_PASSWORD.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCH_PASSWORD = "bench admin password 2026"
BENCH_QUESTION, BENCH_ANSWER = "What was the name of your first pet?", "a bench goldfish"
USERS, SESSIONS, EVENTS, DAYS = 100_000, 300_000, 1_000_000, 400
LIVE_SHARE = 0.6
SYLLABLES = ("ka", "lo", "mir", "tan", "vel", "su", "ro", "ben", "di", "gor")
FIRST_NAMES = (
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Elif",
    "Femi",
    "Gus",
    "Hana",
    "Ivo",
    "Juno",
    "Kai",
    "Lea",
    "Milo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rui",
    "Sana",
    "Tom",
)
# Surnames of three syllables: 1,000 of them, so searching one finds about 100 people.
SURNAMES = tuple((a + b + c).capitalize() for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES)
ACTIONS = (
    ("session.active", 34),
    ("login.ok", 24),
    ("login.failed", 10),
    ("logout", 8),
    ("signup", 3),
    ("session.revoked", 3),
    ("project.created", 4),
    ("org.created", 1),
    ("password.changed", 2),
    ("recovery.failed", 1),
    ("recovery.ok", 1),
    ("subscription.created", 1),
    ("subscription.cancelled", 1),
    ("admin.user_updated", 2),
    ("account.email_changed", 2),
    ("invitation.created", 3),
)
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"


def build(now: datetime, hashes: tuple[str, str], rng: random.Random):
    password_hash, answer_hash = hashes
    start = now - timedelta(days=DAYS)
    users, live_count = [], [0] * (USERS + 1)
    sessions = []
    for n in range(SESSIONS):
        uid = min(int(rng.paretovariate(1.2)), USERS) if n % 3 == 0 else rng.randint(1, USERS)
        created = now - timedelta(seconds=rng.randint(60, 20 * 86400))
        live = n < SESSIONS * LIVE_SHARE
        remember = not live or n % 5 != 0
        if live and not remember:  # a short session, seen in the last half hour
            created = now - timedelta(seconds=rng.randint(1800, 36000))
            seen = now - timedelta(seconds=rng.randint(0, 1800))
            expires = created + timedelta(hours=12)
        else:
            age = (now - created).total_seconds()
            seen = created + timedelta(seconds=rng.uniform(0, min(age, 5 * 86400)))
            expires = created + timedelta(days=30)
        ended = None if live else seen
        if live:
            live_count[uid] += 1
        sessions.append(
            (
                n + 1,
                f"{n + 1:064x}",
                uid,
                created,
                seen,
                expires,
                remember,
                ended,
                None if live else "logout",
                f"10.{n % 250}.{n // 250 % 250}.{n % 7 + 1}",
                AGENT,
            )
        )
    for uid in range(1, USERS + 1):
        created = start + timedelta(seconds=(uid / USERS) * DAYS * 86400 * 0.98)
        name = "admin" if uid == 1 else f"user{uid:06d}"
        display = (
            "Administrator"
            if uid == 1
            else f"{FIRST_NAMES[uid % len(FIRST_NAMES)]} {SURNAMES[uid * 7919 % len(SURNAMES)]}"
        )
        login = now - timedelta(seconds=rng.randint(0, 60 * 86400)) if uid % 10 < 7 else None
        users.append(
            (
                uid,
                name,
                name,
                display,
                f"{name}@example.com",
                f"{name}@example.com",
                password_hash,
                uid == 1,
                uid % 97 == 0,
                False,
                0,
                0,
                False,
                live_count[uid],
                created,
                login,
                # every account has a recovery question, as sign-up makes it; one without is
                # sent to choose one before any page (app/auth/setup.py)
                BENCH_QUESTION,
                answer_hash,
            )
        )
    weights = [w for _, w in ACTIONS]
    names = [a for a, _ in ACTIONS]
    events = []
    for n, action in enumerate(rng.choices(names, weights, k=EVENTS)):
        at = now - timedelta(seconds=rng.randint(0, DAYS * 86400))
        actor = rng.randint(1, USERS)
        events.append(
            (
                n + 1,
                at,
                at.date(),
                action,
                actor,
                f"user{actor:06d}",
                actor,
                f"user{actor:06d}",
                f"10.0.{n % 250}.{n % 13}",
                AGENT,
            )
        )
    return users, sessions, events


USER_COLUMNS = (
    "id",
    "username",
    "username_key",
    "display_name",
    "email",
    "email_key",
    "password_hash",
    "is_admin",
    "is_disabled",
    "must_change_password",
    "failed_logins",
    "recovery_failures",
    "recovery_locked",
    "open_sessions",
    "created_at",
    "last_login_at",
    "security_question",
    "security_answer_hash",
)
SESSION_COLUMNS = (
    "id",
    "token_hash",
    "user_id",
    "created_at",
    "last_seen_at",
    "expires_at",
    "remember",
    "ended_at",
    "end_reason",
    "ip",
    "user_agent",
)
EVENT_COLUMNS = (
    "id",
    "created_at",
    "day",
    "action",
    "actor_id",
    "actor_name",
    "target_user_id",
    "target",
    "ip",
    "user_agent",
)
TABLES = (
    ("users", USER_COLUMNS),
    ("user_sessions", SESSION_COLUMNS),
    ("audit_events", EVENT_COLUMNS),
)


def load_postgres(url: str, data) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    names = [table for table, _ in TABLES]
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            # Building secondary indexes once at the end is far faster than growing them row
            # by row; the generated rows are consistent, so foreign-key triggers are skipped.
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
            indexes = cur.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) "
                "AND NOT i.indisprimary AND NOT i.indisunique",
                [names],
            ).fetchall()
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
            for (table, columns), rows in zip(TABLES, data, strict=True):
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            for _, definition in indexes:
                cur.execute(definition)
            # The replica role also silenced the triggers that keep row_counts exact.
            cur.execute(
                "UPDATE row_counts SET rows = (SELECT count(*) FROM users) "
                "WHERE table_name = 'users'"
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")  # visibility map for index-only scans, fresh statistics


def load_sqlite(url: str, data) -> None:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute("PRAGMA synchronous=OFF")  # a bench file: rebuilt, not recovered, on a crash
    names = [table for table, _ in TABLES]
    indexes = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(names))})",
        names,
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    for (table, columns), rows in zip(TABLES, data, strict=True):
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        for i in range(0, len(rows), 50_000):
            conn.executemany(sql, [tuple(_sqlite(v) for v in row) for row in rows[i : i + 50_000]])
    for _, definition in indexes:
        conn.execute(definition)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _sqlite(value):
    """What the app's UTCDateTime/Date types store on SQLite: naive UTC ISO text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def migrate(url: str) -> tuple[str, str]:
    from flask_migrate import upgrade

    from app import create_app, passwords
    from app.extensions import db

    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    with app.app_context():
        upgrade()
        if db.session.execute(db.text("SELECT count(*) FROM users")).scalar():
            raise SystemExit("The database already has users: give an empty one.")
        digests = passwords.hash_password(BENCH_PASSWORD), passwords.hash_answer(BENCH_ANSWER)
        db.engine.dispose()
    return digests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--seed", type=int, default=2026)
    url = parser.parse_args().database_url
    if url.startswith("sqlite:///") and os.path.exists(url.removeprefix("sqlite:///")):
        raise SystemExit("That SQLite file exists already: give a new path.")
    began = time.perf_counter()
    digests = migrate(url)
    now = datetime.now(UTC)
    data = build(now, digests, random.Random(parser.parse_args().seed))
    built = time.perf_counter()
    (load_postgres if url.startswith("postgresql") else load_sqlite)(url, data)
    done = time.perf_counter()
    live = sum(row[13] for row in data[0])
    print(
        f"seeded {len(data[0]):,} users, {len(data[1]):,} sessions ({live:,} live), "
        f"{len(data[2]):,} audit events: generate {built - began:.1f} s, "
        f"load {done - built:.1f} s, total {done - began:.1f} s"
    )


if __name__ == "__main__":
    main()
