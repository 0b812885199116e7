"""Rate limits on /forgot and /signup, per IP and per target (admin settings, Flask-Limiter).

/forgot can mail a link to someone else's account and /signup costs two argon2 hashes, so both
are limited by client IP and by the account or address they aim at. The limiter's storage is the
test config's (memory, or Redis in the PostgreSQL pass); simultaneous requests must not slip
past a limit either.
"""

from __future__ import annotations

import threading

import pytest

from app import settings
from app.extensions import db
from tests.auth.helpers import signup_data, user_count


def forgot(client, login: str, ip: str):
    return client.submit("/forgot", {"login": login}, environ_base={"REMOTE_ADDR": ip})


def signup(client, ip: str, **changes):
    return client.submit("/signup", signup_data(**changes), environ_base={"REMOTE_ADDR": ip})


def is_limited(response) -> bool:
    if response.status_code != 429:
        return False
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and 'class="site-header"' in html, "the site's readable page"
    assert int(response.headers["Retry-After"]) > 0
    return True


# --- /forgot ----------------------------------------------------------------------------------


@pytest.fixture
def link_mode(app):
    settings.set_many({"recovery_email_link": True})
    db.session.commit()


def test_forgot_is_limited_per_account_from_many_ips(client, make_user):
    make_user(username="target", email="target@example.com")
    names = ["target", "TARGET@example.com", "Target", "target@example.com", " target "]
    for n, name in enumerate(names):
        assert forgot(client, name, f"198.51.100.{n}").status_code == 303
    assert is_limited(forgot(client, "target", "198.51.100.99")), "email and username share it"
    assert forgot(client, "someone-else", "198.51.100.98").status_code == 303


def test_an_unknown_name_is_limited_the_same_way(client):
    for n in range(5):
        assert forgot(client, "ghost", f"203.0.113.{n}").status_code == 303
    assert is_limited(forgot(client, "GHOST", "203.0.113.50"))


def test_forgot_is_limited_per_ip(client):
    for n in range(20):
        assert forgot(client, f"name{n}", "192.0.2.7").status_code == 303
    assert is_limited(forgot(client, "name-21", "192.0.2.7"))
    assert forgot(client, "name-21", "192.0.2.8").status_code == 303


def test_the_limits_are_admin_settings(client, make_user):
    settings.set_many({"forgot_account_per_hour": 2, "forgot_ip_per_hour": 3})
    db.session.commit()
    make_user("alice")
    assert forgot(client, "alice", "192.0.2.1").status_code == 303
    assert forgot(client, "alice", "192.0.2.2").status_code == 303
    assert is_limited(forgot(client, "alice", "192.0.2.3"))
    for n in range(3):
        assert forgot(client, f"n{n}", "192.0.2.9").status_code == 303
    assert is_limited(forgot(client, "n4", "192.0.2.9"))


def test_link_mode_mails_at_most_the_allowance(app, client, make_user, smtp_server, link_mode):
    app.config.update(smtp_server.config())
    make_user("victim")
    answers = [forgot(client, "victim", f"192.0.2.{n}").status_code for n in range(8)]
    assert answers == [200] * 5 + [429] * 3
    assert smtp_server.recipients == [["victim@example.com"]] * 5


def _at_once(app, count: int, send) -> list[int]:
    """`send(client, index)` from `count` threads released together; their status codes."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [c.csrf_token("/login") for c in clients]
    barrier = threading.Barrier(count)
    results: list[int] = [0] * count

    def run(index: int) -> None:
        barrier.wait(timeout=20)
        results[index] = send(clients[index], tokens[index], index).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_forgot_requests_for_one_account_get_the_allowance_only(app, make_user):
    make_user("alice")

    def send(client, token, index):
        data = {"login": "alice", "csrf_token": token}
        return client.post("/forgot", data=data, environ_base={"REMOTE_ADDR": f"10.1.0.{index}"})

    results = _at_once(app, 12, send)
    assert sorted(results) == [303] * 5 + [429] * 7, results


def test_simultaneous_forgot_requests_from_one_ip_get_the_allowance_only(app):
    def send(client, token, index):
        data = {"login": f"n{index}", "csrf_token": token}
        return client.post("/forgot", data=data, environ_base={"REMOTE_ADDR": "10.2.0.1"})

    results = _at_once(app, 26, send)
    assert sorted(results) == [303] * 20 + [429] * 6, results


# --- /signup ----------------------------------------------------------------------------------


def test_signup_is_limited_per_ip(client):
    for n in range(10):  # refused forms count too: each POST may cost the hashes
        response = signup(client, "192.0.2.20", email=f"p{n}@example.com", password_confirm="x")
        assert response.status_code == 422
    assert is_limited(signup(client, "192.0.2.20", email="last@example.com", username="last"))
    assert user_count() == 0
    assert (
        signup(client, "192.0.2.21", email="last@example.com", username="last").status_code == 303
    )


def test_signup_is_limited_per_email_from_many_ips(client):
    assert signup(client, "198.51.100.1").status_code == 303
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    for n in range(4):
        response = signup(client, f"198.51.100.{n + 2}", email="ADA@example.com", username=f"a{n}")
        assert response.status_code == 422
    assert is_limited(signup(client, "198.51.100.9", email=" ada@Example.com", username="zz"))
    assert (
        signup(client, "198.51.100.9", email="bob@example.com", username="bob").status_code == 303
    )


def test_simultaneous_signups_from_one_ip_get_the_allowance_only(app):
    def send(client, token, index):
        data = signup_data(email=f"p{index}@example.com", password_confirm="x", csrf_token=token)
        return client.post("/signup", data=data, environ_base={"REMOTE_ADDR": "10.3.0.1"})

    results = _at_once(app, 14, send)
    assert sorted(results) == [422] * 10 + [429] * 4, results


def test_simultaneous_signups_for_one_email_get_the_allowance_only(app):
    def send(client, token, index):
        data = signup_data(username=f"u{index}", password_confirm="x", csrf_token=token)
        return client.post("/signup", data=data, environ_base={"REMOTE_ADDR": f"10.4.0.{index}"})

    results = _at_once(app, 9, send)
    assert sorted(results) == [422] * 5 + [429] * 4, results
