"""POST /login, /logout: generic failures, local `next`, remember me, the failure counter."""

from __future__ import annotations

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from argon2 import PasswordHasher, Type

from app import passwords
from app.extensions import db, utcnow
from app.models import UserSession
from tests.auth.helpers import actions, login, reload
from tests.factories import PASSWORD


def session_cookie(response) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.split("=", 1)[0].endswith("session"):
            return header
    return ""


def test_sign_in_by_username_or_email_in_any_case(client, make_user):
    make_user(username="Grace", email="grace@example.com")
    for name in ("grace", "GRACE@example.COM"):
        response = login(client, name, PASSWORD)
        assert response.status_code == 303 and response.headers["Location"] == "/"
        assert client.get("/").status_code == 200
        client.submit("/logout", page="/")
    assert len(actions("login.ok")) == 2


def failure_page(client, name, password):
    response = login(client, name, password)
    html = re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))
    return response.status_code, html.replace(name, "NAME")


def test_unknown_wrong_and_disabled_look_the_same(client, make_user, monkeypatch):
    make_user(username="known")
    make_user(username="off", is_disabled=True)
    burned = []
    real_burn = passwords.burn_time
    monkeypatch.setattr(passwords, "burn_time", lambda: burned.append(1) or real_burn())
    unknown = failure_page(client, "nobody", PASSWORD)
    assert burned, "an unknown name must still cost one hash"
    wrong = failure_page(client, "known", PASSWORD + "!")
    disabled = failure_page(client, "off", PASSWORD)
    assert unknown == wrong == disabled
    assert unknown[0] == 401 and "did not work" in unknown[1]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("attempt", [PASSWORD[:-1], PASSWORD.upper(), PASSWORD + " ", ""])
def test_almost_right_passwords_fail(client, make_user, attempt):
    make_user(username="near")
    response = login(client, "near", attempt)
    assert response.status_code in (401, 422)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/account", "/account"),
        ("/account/sessions?x=1", "/account/sessions?x=1"),
        ("//evil.com", "/"),
        ("https://evil.com", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.com", "/"),
        ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),
    ],
)
def test_next_is_followed_only_to_local_paths(client, make_user, target, expected):
    make_user(username="nexter")
    token = client.csrf_token("/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"login": "nexter", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_anonymous_visit_is_sent_to_login_with_next_and_comes_back(client, make_user):
    make_user(username="back")
    response = client.get("/account/sessions")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    page = response.headers["Location"]
    token = client.csrf_token(page)
    response = client.post(page, data={"login": "back", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account/sessions"


def test_cookie_is_a_browser_session_cookie_without_remember(client, make_user):
    make_user(username="brief")
    cookie = session_cookie(login(client, "brief", PASSWORD))
    assert cookie and "Expires" not in cookie and "Max-Age" not in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    record = db.session.scalar(db.select(UserSession))
    assert record.remember is False
    assert record.expires_at - record.created_at <= timedelta(hours=12)


def test_remember_me_extends_the_same_record_up_to_30_days(client, make_user):
    make_user(username="stay")
    response = login(client, "stay", PASSWORD, remember="y")
    cookie = SimpleCookie()
    cookie.load(session_cookie(response))
    morsel = next(iter(cookie.values()))
    assert morsel["expires"], "a remembered sign-in gets a persistent cookie"
    records = list(db.session.scalars(db.select(UserSession)))
    assert len(records) == 1 and records[0].remember is True
    lifetime = records[0].expires_at - records[0].created_at
    assert timedelta(days=1) < lifetime <= timedelta(days=30)
    # No second credential: Flask-Login's own remember cookie is never set.
    assert not any("remember_token" in h for h in response.headers.getlist("Set-Cookie"))


def test_session_cookie_changes_at_sign_in(client, make_user):
    make_user(username="fixate")
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "fixate", PASSWORD)
    after = client.get_cookie("session").value
    assert before != after


def test_weaker_stored_hash_is_upgraded_at_sign_in(client, make_user, app):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    user = make_user(username="old")
    user.password_hash = weak.hash(PASSWORD)
    db.session.commit()
    assert login(client, "old", PASSWORD).status_code == 303
    stored = reload(user).password_hash
    assert "m=19456" in stored or f"m={app.config['ARGON2_MEMORY_COST']}" in stored
    assert "t=2" in stored and stored != weak
    assert not passwords.needs_rehash(stored)
    assert passwords.verify_password(stored, PASSWORD)


def test_hashes_are_argon2id_salted_and_strong_enough(app):
    first, second = passwords.hash_password("same"), passwords.hash_password("same")
    assert first != second
    for stored in (first, second):
        assert stored.startswith("$argon2id$")
        params = dict(p.split("=") for p in stored.split("$")[3].split(","))
        assert int(params["m"]) >= 19456 and int(params["t"]) >= 2 and int(params["p"]) >= 1


def test_growing_delay_after_five_failures_then_success_resets(client, make_user):
    user = make_user(username="slow")
    user.failed_logins = 5
    user.last_failed_login_at = utcnow()
    db.session.commit()
    assert login(client, "slow", PASSWORD).status_code == 401  # inside the delay
    user = reload(user)
    user.last_failed_login_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert login(client, "slow", PASSWORD).status_code == 303
    assert reload(user).failed_logins == 0


def test_failures_are_counted_and_stop_sign_in_at_the_maximum(client, make_user):
    user = make_user(username="locked")
    for _ in range(2):
        login(client, "locked", "wrong password entirely")
    assert reload(user).failed_logins == 2
    user = reload(user)
    user.failed_logins = 100
    user.last_failed_login_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert login(client, "locked", PASSWORD).status_code == 401
    user = reload(user)
    user.failed_logins = 0  # what an admin unlock does
    db.session.commit()
    assert login(client, "locked", PASSWORD).status_code == 303


def test_lockout_does_not_block_recovery(client, make_user):
    user = make_user(username="stuck")
    user.failed_logins = 100
    user.last_failed_login_at = utcnow()
    db.session.commit()
    client.submit("/forgot", {"login": "stuck"})
    response = client.submit("/forgot/answer", {"answer": "rex the wonder dog"})
    assert response.status_code == 200 and "temporary-password" in response.get_data(as_text=True)
    assert reload(user).failed_logins == 0


def test_logout_ends_the_record_and_is_audited(client, make_user):
    make_user(username="leaver")
    login(client, "leaver", PASSWORD)
    response = client.submit("/logout", page="/")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    record = db.session.scalar(db.select(UserSession))
    db.session.refresh(record)
    assert record.ended_at is not None
    assert client.get("/").status_code == 302
    assert [e.action for e in actions("logout")] == ["logout"]


def test_sign_in_events_carry_who_when_ip_and_browser(client, make_user):
    make_user(username="watched")
    client.environ_base.update(REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="TestBrowser/1.0")
    login(client, "watched", "not it at all")
    login(client, "watched", PASSWORD)
    failed, ok = actions("login.failed")[0], actions("login.ok")[0]
    for event in (failed, ok):
        assert event.target == "watched" and event.created_at is not None
        assert event.ip == "203.0.113.9" and event.user_agent == "TestBrowser/1.0"
    assert ok.actor_name == "watched"


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user(username="nocsrf")
    client.get("/login")
    response = client.post("/login", data={"login": "nocsrf", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert actions("login.ok") == []
