"""Sign-in with a second factor (SPEC §10): the password alone opens no session; /login/verify
takes a code once, a recovery code once, and is throttled like passwords."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import RememberedDevice, UserSession
from tests.auth.helpers import actions, reload
from tests.factors.conftest import code_at, password_step, verify


def live_sessions() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.ended_at.is_(None))
    )


def test_the_password_alone_opens_no_session(client, with_app):
    user, _ = with_app(username="ada")
    answer = password_step(client, user)
    assert answer.status_code == 303 and answer.headers["Location"] == "/login/verify"
    assert live_sessions() == 0
    assert client.get("/").status_code == 302  # still signed out
    page = client.get("/login/verify")
    assert page.status_code == 200 and "Code from your authenticator app" in page.get_data(
        as_text=True
    )


def test_the_right_code_signs_in_and_the_same_code_is_refused_after(client, app, with_app):
    user, _ = with_app(username="ada")
    password_step(client, user)
    code = code_at(user, +0)
    # The enrollment used the current step: a code of this step is spent already.
    assert verify(client, code=code).status_code == 401
    password_step(client, user)
    answer = verify(client, code=code_at(user, +1))  # the next step, within the window
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    assert client.get("/").status_code == 200 and live_sessions() == 1
    client.submit("/logout", page="/")
    password_step(client, user)
    assert verify(client, code=code_at(user, +1)).status_code == 401  # replayed
    assert reload(user).totp_last_step is not None


def test_a_code_of_the_previous_step_is_accepted_once(client, app, with_app):
    user, _ = with_app(username="ada")
    reload(user).totp_last_step = None  # as if enrolled long ago
    db.session.commit()
    password_step(client, user)
    assert verify(client, code=code_at(user, -1)).status_code == 303


def test_a_wrong_code_is_refused_next_to_the_field_and_audited(client, with_app):
    user, _ = with_app(username="ada")
    password_step(client, user)
    answer = verify(client, code="000000" if code_at(user, 1) != "000000" else "111111")
    assert answer.status_code == 401
    assert "That code is not right" in answer.get_data(as_text=True)
    assert [e.detail for e in actions("factor.failed")] == ["code"]
    assert live_sessions() == 0


def test_recovery_codes_work_once_each(client, with_app):
    user, codes = with_app(username="ada")
    assert len(codes) == 10 and len(set(codes)) == 10
    password_step(client, user)
    assert verify(client, recovery_code=codes[0].upper()).status_code == 303
    client.submit("/logout", page="/")
    password_step(client, user)
    assert verify(client, recovery_code=codes[0]).status_code == 401
    assert verify(client, recovery_code=codes[1]).status_code == 303
    assert [e.detail for e in actions("factor.recovery_code_used")] == ["9 left", "8 left"]


def test_attempts_are_throttled_per_account(client, with_app):
    user, _ = with_app(username="ada")
    password_step(client, user)
    statuses = [verify(client, code="12345x").status_code for _ in range(6)]
    assert statuses[:5] == [422] * 5 or 429 in statuses
    wrong = [verify(client, code="999999").status_code for _ in range(6)]
    assert 429 in wrong, wrong


def test_the_step_expires(client, with_app, monkeypatch):
    from app.auth import second_step

    user, _ = with_app(username="ada")
    password_step(client, user)
    monkeypatch.setattr(second_step, "LIFETIME", -1)
    answer = client.get("/login/verify")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_a_remembered_device_skips_the_step_until_forgotten_elsewhere(client, app, with_app):
    user, codes = with_app(username="ada")
    password_step(client, user)
    assert verify(client, code=code_at(user, 1), remember_device="y").status_code == 303
    client.submit("/logout", page="/")
    assert password_step(client, user).headers["Location"] == "/"  # no step on this browser
    (device,) = db.session.scalars(select(RememberedDevice)).all()
    assert device.user_id == user.id and device.revoked_at is None

    other = app.test_client()  # the person on another browser forgets the first one
    password_step(other, user)
    assert verify(other, recovery_code=codes[0]).status_code == 303
    assert "Remembered devices" in other.get("/account/sessions").get_data(as_text=True)
    forgotten = other.submit(f"/account/devices/{device.id}/forget", page="/account/sessions")
    assert forgotten.status_code == 303

    client.submit("/logout", page="/")
    assert password_step(client, user).headers["Location"] == "/login/verify"
    assert [e.action for e in actions("factor.device_forgotten")] == ["factor.device_forgotten"]


def test_someone_elses_device_cannot_be_forgotten(client, app, with_app, make_user, factory):
    user, _ = with_app(username="ada")
    password_step(client, user)
    verify(client, code=code_at(user, 1), remember_device="y")
    (device,) = db.session.scalars(select(RememberedDevice)).all()
    other = app.test_client()
    factory.sign_in(other, make_user(username="bob"))
    answer = other.submit(f"/account/devices/{device.id}/forget", page="/account/sessions")
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(RememberedDevice, device.id).revoked_at is None
