"""Flask-Limiter limits on sign-in and recovery (SECURITY.md 8, 9, 11, 12, 16)."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db, limiter
from tests.conftest import REDIS, REQUIRE_ALL, base_config
from tests.factories import ANSWER, PASSWORD
from tests.formclient import FormClient

ROOT = Path(__file__).resolve().parent.parent


def attempt(client, name, password="not the password", ip="192.0.2.1", headers=None):
    token = client.csrf_token("/login")
    return client.post(
        "/login",
        data={"login": name, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers or {},
    )


def test_eleventh_login_post_from_one_ip_gets_429(client):
    for n in range(10):
        assert attempt(client, f"nobody{n}").status_code == 401
    response = attempt(client, "nobody-else")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and 'class="site-header"' in html
    assert attempt(client, "fresh", ip="192.0.2.2").status_code == 401, "other IPs unaffected"


def test_the_429_page_says_when_to_retry_and_where_to_recover(client):
    for n in range(10):
        attempt(client, f"nobody{n}", ip="192.0.2.40")
    response = attempt(client, "nobody-else", ip="192.0.2.40")
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 45 <= seconds <= 61, "the oldest attempt leaves the window about a minute on"
    html = response.get_data(as_text=True)
    assert "Try again in about a minute." in html
    assert 'href="/forgot"' in html and 'href="/login"' in html
    assert "per 1 minute" not in html and "10 per" not in html, "never the limiter's own text"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (3, "in a few seconds"),
        (30, "in less than a minute"),
        (60, "in about a minute"),
        (89, "in about a minute"),
        (300, "in about 5 minutes"),
        (3600, "in about an hour"),
        (86400, "in about 24 hours"),
    ],
)
def test_retry_after_in_words(seconds, words):
    from app.errors import wait_in_words

    assert wait_in_words(seconds) == words


def test_forged_forwarded_for_does_not_escape_the_ip_limit(client):
    for n in range(10):
        attempt(client, f"spoof{n}", headers={"X-Forwarded-For": f"10.0.0.{n}"})
    response = attempt(client, "spoof", headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429


def test_failures_at_one_account_are_throttled_from_many_ips(client, make_user):
    make_user(username="target", email="target@example.com")
    names = ["target", "TARGET@example.com", "target", "Target", "target@example.com"]
    for n, name in enumerate(names):
        assert attempt(client, name, ip=f"198.51.100.{n}").status_code == 401
    blocked = attempt(client, "target@example.com", PASSWORD, ip="198.51.100.99")
    assert blocked.status_code == 429, "email and username share one allowance"
    assert attempt(client, "someone-else", ip="198.51.100.98").status_code == 401


def test_unknown_names_are_throttled_by_their_normalised_form(client):
    for n in range(5):
        attempt(client, "Ghost" if n % 2 else " ghost ", ip=f"203.0.113.{n}")
    assert attempt(client, "GHOST", ip="203.0.113.50").status_code == 429


def test_only_failures_count_against_an_account(app, make_user):
    make_user(username="busy")
    for n in range(8):
        other = app.test_client()
        assert attempt(other, "busy", PASSWORD, ip=f"192.0.2.{n + 10}").status_code == 303
    client = app.test_client()
    for n in range(5):
        assert attempt(client, "busy", ip=f"192.0.2.{n + 30}").status_code == 401
    assert attempt(client, "busy", ip="192.0.2.60").status_code == 429


def test_recovery_answers_are_limited_per_ip(client, make_user):
    for n in range(20):
        make_user(username=f"r{n:02d}")
    for n in range(20):
        client.submit("/forgot", {"login": f"r{n:02d}"}, environ_base={"REMOTE_ADDR": "192.0.2.77"})
        response = client.submit(
            "/forgot/answer", {"answer": "wrong"}, environ_base={"REMOTE_ADDR": "192.0.2.77"}
        )
        assert response.status_code == 422
    client.submit("/forgot", {"login": "r00"})
    response = client.submit(
        "/forgot/answer", {"answer": ANSWER}, environ_base={"REMOTE_ADDR": "192.0.2.77"}
    )
    assert response.status_code == 429 and response.headers["Retry-After"]


def test_retry_after_is_sent_with_429_only(client, make_user):
    """Only a refusal tells the client when to come back; other answers of limited routes
    (sign-in and recovery here) carry no Retry-After."""
    make_user(username="someone")
    answers = [
        attempt(client, "someone", ip="192.0.2.90"),  # 401
        client.submit("/login", {"login": ""}, environ_base={"REMOTE_ADDR": "192.0.2.90"}),  # 422
        attempt(client, "someone", PASSWORD, ip="192.0.2.90"),  # 303
    ]
    client.submit("/logout", page="/account/sessions")
    client.submit("/forgot", {"login": "someone"})
    answers.append(client.submit("/forgot/answer", {"answer": "wrong"}))  # 422
    client.submit("/forgot", {"login": "someone"})
    answers.append(client.submit("/forgot/answer", {"answer": ANSWER}))  # 200
    assert [r.status_code for r in answers] == [401, 422, 303, 422, 200]
    for response in answers:
        assert "Retry-After" not in response.headers, response.status_code
    for n in range(10):
        attempt(client, f"nobody{n}", ip="192.0.2.91")
    refused = attempt(client, "nobody", ip="192.0.2.91")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


# --- several app instances sharing Redis ------------------------------------------------------


def redis_uri() -> str | None:
    uri = REDIS or "redis://127.0.0.1:6379/7"
    parts = urlsplit(uri)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), 1).close()
    except OSError:
        return None
    return uri


# The second instance runs in its own process: in one process both apps would share the one
# Limiter object of app.extensions, and the test would prove nothing.
OTHER_WORKER = """
import sys
from app import create_app
from tests.formclient import FormClient
from tests.test_throttle import attempt
app = create_app(dict(zip(sys.argv[1::2], sys.argv[2::2]), TESTING=True))
app.test_client_class = FormClient
print(",".join(str(attempt(app.test_client(), f"w{n}", ip="192.0.2.200").status_code)
               for n in range(5)))
"""


def test_two_app_instances_share_the_limit_through_redis(app, database):
    uri = redis_uri()
    if uri is None:
        message = "Redis is not reachable; set GATEHOUSE_TEST_REDIS"
        pytest.fail(message) if REQUIRE_ALL else pytest.skip(message)
    _fresh, instance = database
    shared = {
        **base_config(app.config["SQLALCHEMY_DATABASE_URI"], instance),
        "RATELIMIT_STORAGE_URI": uri,
        "RATELIMIT_KEY_PREFIX": f"gh-test-shared-{uuid.uuid4().hex[:12]}",
    }
    db.session.commit()
    args = [
        str(item)
        for key in ("SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX")
        for item in (key, shared[key])
    ]
    other = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert other.stdout.strip().splitlines()[-1] == "401,401,401,401,401", other.stderr[-2000:]
    here = create_app(shared)
    here.test_client_class = FormClient
    limiter._key_prefix = shared["RATELIMIT_KEY_PREFIX"]
    client = here.test_client()
    for n in range(5):
        assert attempt(client, f"h{n}", ip="192.0.2.200").status_code == 401
    assert attempt(client, "h5", ip="192.0.2.200").status_code == 429
