"""Does the answer time tell a real account from an unknown one? Medians, in-process, on SQLite.

    python bench/existence_timing.py [--runs 30]

Builds the real app on a fresh migrated SQLite file in a temporary folder, with mail configured
and the emailed recovery link on (the queue is a SQLite file too, and no consumer runs, as in a
web worker), then times through Flask's test client, interleaving the two kinds of each pair:

- POST /forgot (emailed-link mode): an existing account vs an unknown name;
- POST /login: an existing account with a wrong password vs an unknown name;
- POST /signup: a taken email vs a new one (the new one creates the account).

Within each pair the order alternates from one round to the next.

Limits are raised and each request comes from its own address, so no 429 gets in the way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_app(folder: Path):
    from flask_migrate import upgrade

    from app import create_app, settings
    from app.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "HUEY_URL": f"sqlite:///{folder / 'queue.db'}",
            "MAIL_SERVER": "127.0.0.1",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        big = {
            "forgot_account_per_hour": 100,
            "forgot_ip_per_hour": 10000,
            "signup_ip_per_hour": 10000,
            "signup_email_per_hour": 100,
            "login_ip_per_minute": 1000,
            "login_account_per_minute": 100,
            "login_max_failures": 100,
            "recovery_email_link": True,
        }
        settings.set_many(big)
        db.session.commit()
    return app


def signup_form(email: str, username: str) -> dict:
    password = "violet tractor pebble anthem"
    return {
        "email": email,
        "username": username,
        "display_name": "Bench",
        "password": password,
        "password_confirm": password,
        "security_question": "What was the name of your first pet?",
        "security_answer": "Tiddles the cat",
        "accept_terms": "y",
    }


def timed(client, path: str, data: dict, n: int, expect: set[int]) -> float:
    started = time.perf_counter()
    response = client.post(
        path, data=data, environ_base={"REMOTE_ADDR": f"10.9.{n // 250}.{n % 250}"}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code in expect, (path, data.get("login"), response.status_code)
    return elapsed


def measure(app, runs: int) -> dict[str, dict[str, float]]:
    client = app.test_client()
    client.post(
        "/signup",
        data=signup_form("taken@example.com", "existing"),
        environ_base={"REMOTE_ADDR": "10.8.0.1"},
    )
    client = app.test_client()  # signed out
    results: dict[str, dict[str, list[float]]] = {
        "/forgot (link mode)": {"existing": [], "unknown": []},
        "/login (wrong password)": {"existing": [], "unknown": []},
        "/signup": {"existing": [], "unknown": []},
    }
    for n in range(runs + 3):  # the first 3 rounds warm up
        rows = [
            ("/forgot (link mode)", "existing", "/forgot", {"login": "existing"}, {200}),
            ("/forgot (link mode)", "unknown", "/forgot", {"login": "nobody-here"}, {200}),
            (
                "/login (wrong password)",
                "existing",
                "/login",
                {"login": "existing", "password": "not the password at all"},
                {401},
            ),
            (
                "/login (wrong password)",
                "unknown",
                "/login",
                {"login": "nobody-here", "password": "not the password at all"},
                {401},
            ),
            (
                "/signup",
                "existing",
                "/signup",
                signup_form("taken@example.com", f"taken{n}"),
                {422},
            ),
            ("/signup", "unknown", "/signup", signup_form(f"new{n}@example.com", f"new{n}"), {303}),
        ]
        if n % 2:  # alternate which of each pair goes first, so order favours neither
            rows = [rows[i ^ 1] for i in range(len(rows))]
        for index, (name, kind, path, data, expect) in enumerate(rows):
            elapsed = timed(app.test_client(), path, data, n * 10 + index, expect)
            if n >= 3:
                results[name][kind].append(elapsed)
    return {
        name: {kind: statistics.median(times) * 1000 for kind, times in kinds.items()}
        for name, kinds in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        medians = measure(app, args.runs)  # each request pushes its own context, as in a server
    print(f"median of {args.runs} runs, ms   existing   unknown   ratio")
    for name, kinds in medians.items():
        ratio = kinds["existing"] / kinds["unknown"]
        print(f"{name:<26} {kinds['existing']:>9.2f} {kinds['unknown']:>9.2f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
