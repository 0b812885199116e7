"""First sign-in of an account an administrator created: it has no security question, and its
password was chosen by someone else. The person sets what is missing before anything else, on a
page whose wording says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import passwords
from app.extensions import db
from app.models import User
from tests.auth.helpers import actions, login, reload
from tests.factories import PASSWORD

GIVEN = "temporary handover phrase 42"  # what the administrator typed and told the person
OWN = "lantern orchard seventeen quietly"
QUESTION = "What was the first concert you went to?"
ANSWER = "Pink Floyd at Wembley"
ELSEWHERE = ("/", "/orgs", "/projects", "/account", "/account/sessions", "/invitations", "/billing")


@pytest.fixture
def newcomer(app, client, admin, login_as):
    """An account made through /admin/users/new; yields a fresh client for its person."""

    def make(must_change: bool = True) -> User:
        login_as(admin)
        data = {"username": "grace", "display_name": "Grace", "password": GIVEN}
        if must_change:
            data["must_change_password"] = "y"
        assert client.submit("/admin/users/new", data).status_code == 303
        user = db.session.scalar(select(User).where(User.username == "grace"))
        assert user.security_question is None and user.security_answer_hash is None
        return user

    return make


def test_first_sign_in_asks_for_a_password_and_a_question_before_anything_else(app, newcomer):
    user = newcomer(must_change=True)
    grace = app.test_client()
    response = login(grace, "grace", GIVEN)
    assert response.status_code == 303
    page = grace.get("/account/password").get_data(as_text=True)
    assert "<h1>Set up your account</h1>" in page
    assert "An administrator created this account for you with a temporary password" in page
    assert 'name="security_question"' in page and 'name="security_answer"' in page
    for path in (*ELSEWHERE, "/account/security-question"):
        answer = grace.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"] == "/account/password", path

    # a password alone is not enough
    data = {"current_password": GIVEN, "new_password": OWN, "new_password_confirm": OWN}
    refused = grace.submit("/account/password", data)
    assert refused.status_code == 422
    assert 'id="security_question-error"' in refused.get_data(as_text=True)
    assert reload(user).must_change_password

    done = grace.submit(
        "/account/password",
        {**data, "security_question": QUESTION, "security_answer": ANSWER},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Your password and security question are set." in (
        done.get_data(as_text=True)
    )
    user = reload(user)
    assert not user.must_change_password and user.security_question == QUESTION
    assert passwords.verify_answer(user.security_answer_hash, "pink floyd at  WEMBLEY")
    assert passwords.verify_password(user.password_hash, OWN)
    for path in ELSEWHERE:
        assert grace.get(path).status_code == 200, path
    assert [e.action for e in actions("account.question_changed")] == ["account.question_changed"]


def test_the_answer_may_not_be_the_new_password(app, newcomer):
    newcomer(must_change=True)
    grace = app.test_client()
    login(grace, "grace", GIVEN)
    response = grace.submit(
        "/account/password",
        {
            "current_password": GIVEN,
            "new_password": OWN,
            "new_password_confirm": OWN,
            "security_question": QUESTION,
            "security_answer": OWN,
        },
    )
    assert response.status_code == 422
    assert 'id="security_answer-error"' in response.get_data(as_text=True)


def test_without_a_forced_password_change_only_the_question_is_asked(app, newcomer):
    user = newcomer(must_change=False)
    grace = app.test_client()
    response = login(grace, "grace", GIVEN)
    assert response.status_code == 303
    for path in (*ELSEWHERE, "/account/password"):
        answer = grace.get(path)
        assert answer.headers["Location"] == "/account/security-question", path
    page = grace.get("/account/security-question").get_data(as_text=True)
    assert "<h1>Choose a security question</h1>" in page
    assert "Your account has no security question yet." in page
    done = grace.submit(
        "/account/security-question",
        {"current_password": GIVEN, "security_question": QUESTION, "security_answer": ANSWER},
    )
    assert done.status_code == 303
    assert reload(user).security_answer_hash is not None
    assert grace.get("/").status_code == 200


def test_after_setting_up_the_person_goes_where_they_were_heading(app, newcomer):
    newcomer(must_change=False)
    grace = app.test_client()
    response = grace.submit("/login?next=/orgs", {"login": "grace", "password": GIVEN})
    assert response.headers["Location"] == "/orgs"
    assert grace.get("/orgs").headers["Location"] == "/account/security-question"
    done = grace.submit(
        "/account/security-question",
        {"current_password": GIVEN, "security_question": QUESTION, "security_answer": ANSWER},
    )
    assert done.headers["Location"] == "/orgs"


def test_the_page_heading_for_survives_the_password_step(app, newcomer):
    newcomer(must_change=True)
    grace = app.test_client()
    grace.submit("/login?next=/projects", {"login": "grace", "password": GIVEN})
    assert grace.get("/projects").headers["Location"] == "/account/password"
    done = grace.submit(
        "/account/password",
        {
            "current_password": GIVEN,
            "new_password": OWN,
            "new_password_confirm": OWN,
            "security_question": QUESTION,
            "security_answer": ANSWER,
        },
    )
    assert done.headers["Location"] == "/projects"


def test_administrators_are_not_made_to_add_a_question(client, make_user, login_as):
    root = make_user("root2", is_admin=True, security_question=None)
    root.security_answer_hash = None
    db.session.commit()
    assert login(client, "root2", PASSWORD).status_code == 303
    assert client.get("/").status_code == 200


def test_a_password_set_by_someone_else_is_worded_so(client, make_user):
    make_user("dora", must_change_password=True)
    login(client, "dora", PASSWORD)
    page = client.get("/account/password").get_data(as_text=True)
    assert "<h1>Choose your own password</h1>" in page
    assert "Your password was chosen by someone else" in page
    assert 'name="security_question"' not in page, "dora has a question already"


def test_forgot_password_tells_people_without_a_question_what_to_do(client, make_user):
    user = make_user("ivy")
    user.security_question = user.security_answer_hash = None
    db.session.commit()
    first = client.get("/forgot").get_data(as_text=True)
    assert "Without one, ask an administrator to set a new password for you." in first
    for name in ("ivy", "nobody-here"):
        client.submit("/forgot", {"login": name})
        page = client.get("/forgot/answer").get_data(as_text=True)
        # The same page for both: whether an account exists (or has a question) stays hidden.
        assert 'class="question"' in page
        assert "or you never chose one? Then no answer will work here" in page


def test_the_layout_can_tell_a_pending_setup(app, newcomer):
    from flask import render_template_string

    newcomer(must_change=False)
    grace = app.test_client()
    login(grace, "grace", GIVEN)
    with grace:
        grace.get("/account/security-question")
        assert render_template_string("{{ account_setup_pending() }}") == "True"
    grace.submit(
        "/account/security-question",
        {"current_password": GIVEN, "security_question": QUESTION, "security_answer": ANSWER},
    )
    with grace:
        grace.get("/")
        assert render_template_string("{{ account_setup_pending() }}") == "False"
