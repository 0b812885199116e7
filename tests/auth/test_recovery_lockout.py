"""SECURITY 16: at most N wrong answers per account per 24 h, also when they arrive together."""

from __future__ import annotations

from app import settings
from app.extensions import db
from tests.auth.helpers import reload
from tests.auth.test_recovery import start
from tests.concurrency import simultaneously
from tests.factories import ANSWER


def answering_client(app, name: str, ip: str):
    """A client of its own on the answer page for `name`, with its CSRF token."""
    client = app.test_client()
    client.submit("/forgot", {"login": name}, environ_base={"REMOTE_ADDR": ip})
    return client, client.csrf_token("/forgot/answer")


def test_twelve_simultaneous_wrong_answers_all_count(app, make_user):
    user = make_user(username="target")
    # Step 1 (/forgot) has its own per-account limit; raise it so the answers are what is tested.
    settings.set_many({"forgot_account_per_hour": 100})
    db.session.commit()
    limit = settings.get("recovery_answers_per_day")
    clients = [answering_client(app, "target", f"192.0.2.{n + 1}") for n in range(12)]

    def answer(client, token, n):
        def call():
            return client.post(
                "/forgot/answer",
                data={"answer": f"wrong guess {n}", "csrf_token": token},
                environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
            ).status_code

        return call

    statuses = simultaneously([answer(c, t, n) for n, (c, t) in enumerate(clients)])

    assert statuses == [422] * 12
    user = reload(user)
    assert limit <= user.recovery_failures <= 12, user.recovery_failures
    assert user.recovery_locked
    late = app.test_client()
    start(late, "target")
    response = late.submit("/forgot/answer", {"answer": ANSWER})
    assert response.status_code == 422, "the right answer no longer opens recovery"
    assert reload(user).temp_password_hash is None


def test_wrong_answer_message_states_the_configured_limit(client, make_user):
    settings.set_many({"recovery_answers_per_day": 3})
    db.session.commit()
    user = make_user(username="forgetful")
    start(client, "forgetful")
    response = client.submit("/forgot/answer", {"answer": "not it"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "After 3 wrong answers in 24 hours" in html and "After 5" not in html
    for n in range(2):
        client.submit("/forgot/answer", {"answer": f"not it {n}"})
    assert reload(user).recovery_locked, "the third wrong answer closes recovery"
