"""A stolen session cookie stops working whenever the session ends (SECURITY.md 21-25)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db, utcnow
from app.models import UserSession
from tests.auth.helpers import actions, login, reload
from tests.factories import ANSWER, PASSWORD


@pytest.fixture
def victim(make_user):
    return make_user(username="victim")


@pytest.fixture
def stolen(app, client, victim):
    """The victim signs in through the form; the thief copies the cookie to another client."""
    assert login(client, "victim", PASSWORD).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    return thief


def refused(thief) -> bool:
    response = thief.get("/account")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_after_logout(client, stolen):
    client.submit("/logout", page="/")
    assert refused(stolen)


def test_after_password_change(client, stolen):
    new = "lantern orchard quietly folding"
    client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert refused(stolen)


def test_after_recovery(app, stolen):
    stranger = app.test_client()
    stranger.submit("/forgot", {"login": "victim"})
    assert stranger.submit("/forgot/answer", {"answer": ANSWER}).status_code == 200
    assert refused(stolen)


def test_after_revoking_that_session(app, victim, factory, stolen):
    owner = app.test_client()
    factory.sign_in(owner, victim)
    target = db.session.scalar(db.select(UserSession.id).order_by(UserSession.id))
    page = owner.get("/account/sessions").get_data(as_text=True)
    assert f"/account/sessions/{target}/revoke" in page
    response = owner.submit(f"/account/sessions/{target}/revoke", page="/account/sessions")
    assert response.status_code == 303
    assert refused(stolen)
    assert owner.get("/").status_code == 200
    assert actions("session.revoked")


def test_after_revoking_all_others(app, victim, factory, stolen):
    owner = app.test_client()
    factory.sign_in(owner, victim)
    response = owner.submit("/account/sessions/revoke-others", page="/account/sessions")
    assert response.status_code == 303
    assert refused(stolen)
    assert owner.get("/").status_code == 200
    assert reload(victim).open_sessions == 1


def test_someone_elses_session_cannot_be_revoked(app, client, victim, factory, make_user):
    record, _ = factory.session_for(victim)
    factory.sign_in(client, make_user(username="other"))
    response = client.submit(f"/account/sessions/{record.id}/revoke", page="/account/sessions")
    assert response.status_code == 404
    db.session.refresh(record)
    assert record.ended_at is None


def test_after_idle_timeout(stolen):
    record = db.session.scalar(db.select(UserSession))
    record.last_seen_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert refused(stolen)


def test_after_absolute_lifetime_even_when_active(stolen):
    record = db.session.scalar(db.select(UserSession))
    record.created_at = utcnow() - timedelta(hours=12, minutes=1)
    record.last_seen_at = utcnow()
    db.session.commit()
    assert refused(stolen)


def test_remembered_session_ends_at_its_expiry(app, victim):
    client = app.test_client()
    login(client, "victim", PASSWORD, remember="y")
    record = db.session.scalar(db.select(UserSession))
    record.last_seen_at = utcnow() - timedelta(days=2)  # idle, but remembered
    db.session.commit()
    assert client.get("/").status_code == 200
    record = db.session.scalar(db.select(UserSession))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert refused(client)


def test_after_disable(victim, stolen):
    victim = reload(victim)
    victim.is_disabled = True
    db.session.commit()
    assert refused(stolen)


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
SAFARI_PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_sessions_page_lists_this_device(app, client, stolen):
    html = client.get("/account/sessions").get_data(as_text=True)
    assert "this device" in html and "1 active session:" in html
    assert "Sign out all other sessions" not in html, "there is no other session"
    assert client.get("/account/sessions").headers["Cache-Control"] == "no-store"


def test_sessions_show_devices_and_times_people_read(client, victim, factory):
    record = factory.sign_in(client, victim)
    record.user_agent = FIREFOX
    other, _ = factory.session_for(victim)
    other.user_agent = SAFARI_PHONE
    other.last_seen_at = utcnow() - timedelta(minutes=30)  # within the idle timeout
    db.session.commit()
    html = client.get("/account/sessions").get_data(as_text=True)
    assert "2 active sessions:" in html and "session(s)" not in html
    assert f'<span title="{FIREFOX}">Firefox 120 on Linux</span> <mark>this device</mark>' in html
    assert "Mobile Safari 17 on iOS" in html
    assert ">30 minutes ago</time>" in html
    response = client.submit("/account/sessions/revoke-others", page="/account/sessions")
    assert response.status_code == 303
    flashed = client.get("/account/sessions").get_data(as_text=True)
    assert "Signed out 1 other session." in flashed and "1 active session:" in flashed
