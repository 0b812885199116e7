"""Time a sign-in with and without a second factor, through the real app (SPEC §10).

    python bench/sign_in_factor.py                      # a fresh SQLite file in /tmp
    python bench/sign_in_factor.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench_2fa

The database must be empty or not exist yet (migrations are applied). Two accounts are made:
one with a password only, one with an authenticator app. Each run signs in from a fresh test
client: the password alone (POST /login), and the password then a code (POST /login, then POST
/login/verify with the code computed here as the phone would). The median and 95th percentile of
--runs runs are printed, with the production argon2 cost (m=19 MiB, t=2).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "bench sign-in password 2026"


def _post(client, url: str, data: dict):
    token = TOKEN.search(client.get(url).get_data(as_text=True)).group(1)
    return client.post(url, data={**data, "csrf_token": token})


def setup(url: str):
    from flask_migrate import upgrade

    from app import create_app, passwords
    from app.auth import factors
    from app.extensions import db
    from app.models import User

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
    with app.test_request_context(method="POST"):
        for name in ("plain", "guarded"):
            db.session.add(
                User(
                    username=name,
                    display_name=name,
                    email=f"{name}@example.com",
                    password_hash=passwords.hash_password(PASSWORD),
                    security_answer_hash="x",
                )
            )
        db.session.commit()
        guarded = db.session.query(User).filter_by(username="guarded").one()
        secret = factors.begin_app(guarded)
        import pyotp

        factors.confirm_app(guarded, pyotp.TOTP(secret).now())
        db.session.commit()
    return app, secret


def one(app, secret: str | None) -> float:
    import pyotp

    client = app.test_client()
    name = "guarded" if secret else "plain"
    if secret:  # the same 30 s step is refused twice: forget the last one, untimed
        with app.app_context():
            from app.extensions import db
            from app.models import User

            db.session.query(User).filter_by(username="guarded").update({"totp_last_step": None})
            db.session.commit()
    started = time.perf_counter()
    answer = _post(client, "/login", {"login": name, "password": PASSWORD})
    if secret:
        assert answer.headers["Location"] == "/login/verify", answer.status_code
        answer = _post(client, "/login/verify", {"code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 303 and answer.headers["Location"] == "/", answer.status_code
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench-2fa.db"
    app, secret = setup(url)
    print(
        f"{url.split(':')[0]}, {args.runs} runs each after 3 untimed (ms, GET of the form included)"
    )
    for label, key in (("password only", None), ("password + app code", secret)):
        for _ in range(3):
            one(app, key)
        times = sorted(one(app, key) for _ in range(args.runs))
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"{label:22} median {statistics.median(times):7.1f}   p95 {p95:7.1f}")


if __name__ == "__main__":
    main()
