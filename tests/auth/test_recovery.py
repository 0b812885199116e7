"""Recovery by security question: /forgot, /forgot/answer and the temporary password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.auth.services import QUESTIONS
from app.extensions import db, utcnow
from app.models import UserSession
from tests.auth.helpers import actions, login, reload
from tests.factories import ANSWER, PASSWORD, QUESTION

NEW_PASSWORD = "lantern orchard quietly folding"


def start(client, name: str):
    response = client.submit("/forgot", {"login": name})
    assert response.status_code == 303 and response.headers["Location"] == "/forgot/answer"
    return client.get("/forgot/answer")


def question_of(page) -> str:
    return re.search(r'<p class="question">([^<]*)</p>', page.get_data(as_text=True)).group(1)


def recover(client, name: str, answer: str = ANSWER) -> str:
    start(client, name)
    response = client.submit("/forgot/answer", {"answer": answer})
    assert response.status_code == 200, response.status_code
    return re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_right_answer_in_other_case_and_spacing_gives_a_temporary_password(client, make_user):
    user = make_user(username="lost")
    page = start(client, "lost")
    assert question_of(page) == QUESTION
    response = client.submit("/forgot/answer", {"answer": "  rex   THE wonder\tdog "})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    temporary = re.search(
        r'id="temporary-password">([^<]+)<', response.get_data(as_text=True)
    ).group(1)
    assert len(temporary) >= 22  # 128 bits or more, URL-safe base64
    user = reload(user)
    assert user.temp_password_hash and temporary not in user.temp_password_hash
    assert client.get("/").status_code == 302, "recovery signs nobody in"
    assert [e.action for e in actions("recovery.ok")] == ["recovery.ok"]
    # Shown once: the page cannot be fetched again.
    assert client.get("/forgot/answer").headers["Location"] == "/forgot"


def test_recovery_revokes_every_session(client, make_user, factory, app):
    user = make_user(username="victim")
    thief = app.test_client()
    factory.sign_in(thief, user)
    assert thief.get("/").status_code == 200
    recover(client, "victim")
    assert thief.get("/").status_code == 302
    assert reload(user).open_sessions == 0


def test_old_password_works_until_the_temporary_one_is_used(client, make_user):
    user = make_user(username="remembers")
    temporary = recover(client, "remembers")
    assert login(client, "remembers", PASSWORD).status_code == 303
    client.submit("/logout", page="/")
    assert reload(user).temp_password_hash is None, "signing in with the old password voids it"
    assert login(client, "remembers", temporary).status_code == 401


def test_temporary_password_forces_a_change_and_works_once(client, make_user):
    user = make_user(username="forced")
    temporary = recover(client, "forced")
    assert login(client, "forced", temporary).status_code == 303
    for path in ("/", "/account", "/account/sessions", "/account/security-question"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "<h1>Choose a new password</h1>" in page
    assert "You signed in with the temporary password from account recovery." in page
    assert 'name="security_question"' not in page, "the question is known already"
    # The temporary password cannot be kept.
    kept = client.submit(
        "/account/password",
        {
            "current_password": temporary,
            "new_password": temporary,
            "new_password_confirm": temporary,
        },
    )
    assert kept.status_code == 422
    # A second sign-in with it fails, even before the change.
    other = client.application.test_client()
    assert login(other, "forced", temporary).status_code == 401
    changed = client.submit(
        "/account/password",
        {
            "current_password": temporary,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert client.get("/").status_code == 200
    user = reload(user)
    assert not user.must_change_password and user.temp_password_hash is None
    client.submit("/logout", page="/")
    assert login(client, "forced", NEW_PASSWORD).status_code == 303
    client.submit("/logout", page="/")
    assert login(client, "forced", PASSWORD).status_code == 401


def test_logout_is_reachable_during_a_forced_change(client, make_user):
    make_user(username="quitter")
    login(client, "quitter", recover(client, "quitter"))
    response = client.submit("/logout", page="/account/password")
    assert response.status_code == 303
    assert client.get("/account/password").status_code == 302


def test_temporary_password_expires(client, make_user):
    user = make_user(username="late")
    temporary = recover(client, "late")
    user = reload(user)
    assert timedelta(minutes=14) < user.temp_password_expires_at - utcnow() <= timedelta(minutes=15)
    user.temp_password_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, "late", temporary).status_code == 401


def test_unknown_name_gets_the_same_decoy_question_every_visit(client, make_user):
    make_user(username="real")
    first = start(client, "ghost-account")
    again = start(client, "GHOST-account")
    assert first.status_code == again.status_code == 200
    assert question_of(first) == question_of(again) in QUESTIONS
    response = client.submit("/forgot/answer", {"answer": ANSWER})
    real = client.application.test_client()
    start(real, "real")
    wrong = real.submit("/forgot/answer", {"answer": "not the answer"})
    assert response.status_code == wrong.status_code == 422

    def strip(r, name):
        page = r.get_data(as_text=True).replace(name, "NAME").replace(question_of(r), "Q")
        return re.sub(r'value="[^"]*"', "", page)

    assert strip(response, "GHOST-account") == strip(wrong, "real")


def test_forgot_always_proceeds(client):
    assert client.submit("/forgot", {"login": "nobody-at-all"}).status_code == 303
    assert client.get("/forgot/answer").status_code == 200


def test_five_wrong_answers_close_recovery_until_sign_in(client, make_user):
    user = make_user(username="guessed")
    start(client, "guessed")
    for _ in range(5):
        assert client.submit("/forgot/answer", {"answer": "wrong guess"}).status_code == 422
    user = reload(user)
    assert user.recovery_locked and user.recovery_failures == 5
    assert client.submit("/forgot/answer", {"answer": ANSWER}).status_code == 422
    assert reload(user).temp_password_hash is None
    assert actions("recovery.locked")
    # Sign-in still works, and reopens recovery.
    other = client.application.test_client()
    assert login(other, "guessed", PASSWORD).status_code == 303
    assert not reload(user).recovery_locked
    recover(client, "guessed")


def test_wrong_answers_older_than_a_day_do_not_count(client, make_user):
    user = make_user(username="patient")
    user.recovery_failures = 4
    user.recovery_window_start = utcnow() - timedelta(hours=25)
    db.session.commit()
    start(client, "patient")
    client.submit("/forgot/answer", {"answer": "wrong guess"})
    user = reload(user)
    assert user.recovery_failures == 1 and not user.recovery_locked


def test_answer_without_csrf_is_refused(client, make_user):
    user = make_user(username="csrf")
    start(client, "csrf")
    assert client.post("/forgot/answer", data={"answer": ANSWER}).status_code == 400
    assert reload(user).temp_password_hash is None


def test_recovery_of_a_signed_in_users_open_sessions_is_audited(client, make_user, factory):
    user = make_user(username="audited")
    factory.session_for(user)
    recover(client, "audited")
    assert (
        db.session.scalar(
            db.select(db.func.count(UserSession.id)).where(UserSession.ended_at.is_(None))
        )
        == 0
    )
    event = actions("recovery.ok")[0]
    assert event.target_user_id == user.id and event.ip


@pytest.mark.parametrize("path", ["/forgot", "/forgot/answer"])
def test_recovery_pages_are_reachable_anonymously(client, path):
    client.submit("/forgot", {"login": "someone"})
    assert client.get(path).status_code == 200


def test_sign_in_now_fills_in_the_account_name(client, make_user):
    make_user(username="Forgetful")
    start(client, "forgetful@example.com")
    response = client.submit("/forgot/answer", {"answer": ANSWER})
    html = response.get_data(as_text=True)
    assert '<a href="/login?login=Forgetful" role="button">Sign in now</a>' in html
    assert 'data-copy="#temporary-password"' in html, "a copy button for the password"
    login_page = client.get("/login?login=Forgetful").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="login"[^>]*value="Forgetful"', login_page)
