"""POST /signup: every refusal gives the form back with a reason and writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import settings
from app.extensions import db
from app.models import User
from tests.auth.helpers import GOOD_PASSWORD, actions, signup_data, user_count


def field_error(html: str, field: str) -> str:
    """The error text rendered next to `field`, or ''."""
    found = re.search(rf'id="{field}-error">([^<]*)<', html)
    return found.group(1) if found else ""


def test_signup_creates_account_signs_in_and_hashes_the_answer(client):
    response = client.submit("/signup", signup_data(security_answer="  Tiddles   THE cat "))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.username == "ada"))
    assert user.email == "ada@example.com" and user.display_name == "Ada"
    assert user.password_hash.startswith("$argon2id$")
    assert "Tiddles" not in user.security_answer_hash
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and "Ada" in page.get_data(as_text=True)
    assert [e.action for e in actions("signup")] == ["signup"]


def test_signup_page_offers_the_questions_and_proposes_nothing_odd(client):
    html = client.get("/signup").get_data(as_text=True)
    assert 'name="security_question"' in html and "first pet" in html
    assert 'name="accept_terms"' in html


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"password_confirm": GOOD_PASSWORD + "x"}, "password_confirm"),
        ({"password": "1QAZ2wsx3edc4rfv", "password_confirm": "1QAZ2wsx3edc4rfv"}, "password"),
        (
            {"password": "ada-is-my-name-forever", "password_confirm": "ada-is-my-name-forever"},
            "password",
        ),
        (
            {
                "username": "lovelace",
                "email": "countess@example.com",
                "password": "xx countess of lovelace",
                "password_confirm": "xx countess of lovelace",
            },
            "password",
        ),
        ({"password": "short one", "password_confirm": "short one"}, "password"),
        ({"password": "x" * 129, "password_confirm": "x" * 129}, "password"),
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "a" * 51}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "someone@" + "e" * 250 + ".com"}, "email"),
        ({"accept_terms": None}, "accept_terms"),
        ({"security_answer": ""}, "security_answer"),
        ({"security_answer": "ab"}, "security_answer"),
        ({"security_answer": "ADA"}, "security_answer"),
        ({"security_answer": "ada@example.com"}, "security_answer"),
        ({"security_answer": GOOD_PASSWORD.upper()}, "security_answer"),
        ({"security_question": ""}, "security_question"),
        ({"security_question": "q" * 201}, "security_question"),
        ({"display_name": "d" * 101}, "display_name"),
        ({"display_name": "nul\x00byte"}, "display_name"),
        ({"username": "nul\x00"}, "username"),
        ({"security_answer": "answer\x00with nul"}, "security_answer"),
    ],
)
def test_invalid_signup_is_refused_next_to_the_field(client, changes, field):
    response = client.submit("/signup", signup_data(**changes))
    assert response.status_code in (400, 422)
    assert field_error(response.get_data(as_text=True), field), f"no error shown for {field}"
    assert user_count() == 0


def test_password_over_128_is_refused_with_a_reason_not_cut(client):
    response = client.submit("/signup", signup_data(password="y" * 129, password_confirm="y" * 129))
    assert "at most 128" in field_error(response.get_data(as_text=True), "password")
    assert user_count() == 0


@pytest.mark.parametrize(
    "existing",
    [
        {"username": "ADA", "email": "other@example.com"},
        {"username": "someone", "email": "ADA@Example.com"},
    ],
)
def test_duplicate_name_in_another_case_is_refused(client, make_user, existing):
    make_user(**existing)
    response = client.submit("/signup", signup_data())
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "already exists" in html
    assert user_count() == 1


def test_signup_without_csrf_token_is_refused(client):
    client.get("/signup")
    response = client.post("/signup", data=signup_data())
    assert response.status_code == 400
    assert user_count() == 0


def test_empty_username_is_proposed_from_the_email(client):
    response = client.submit("/signup", signup_data(username="", email="grace.h@example.com"))
    assert response.status_code == 303
    assert db.session.scalar(select(User.username)) == "grace.h"


def test_closed_registration_answers_403_and_refuses_posts(client):
    settings.set_many({"registration_open": False})
    db.session.commit()
    assert client.get("/signup").status_code == 403
    token = client.csrf_token("/login")
    response = client.post("/signup", data={**signup_data(), "csrf_token": token})
    assert response.status_code == 403
    assert "closed" in response.get_data(as_text=True)
    assert user_count() == 0


@pytest.mark.parametrize("length", [64, 128])
def test_long_passwords_work_for_signup_and_sign_in(client, length):
    password = ("correct horse battery staple " * 6)[:length]
    assert (
        client.submit(
            "/signup", signup_data(password=password, password_confirm=password)
        ).status_code
        == 303
    )
    client.submit("/logout", page="/account/sessions")
    assert client.submit("/login", {"login": "ada", "password": password}).status_code == 303


def test_unicode_passphrase_is_normalised(client):
    composed = "ünïcødé pässphrase wörks"  # NFC
    decomposed = "u\u0308nïcødé pässphrase wörks"  # the same text, first letter NFD
    assert (
        client.submit(
            "/signup", signup_data(password=composed, password_confirm=composed)
        ).status_code
        == 303
    )
    client.submit("/logout", page="/account/sessions")
    assert client.submit("/login", {"login": "ada", "password": decomposed}).status_code == 303


def test_name_taken_between_check_and_write_is_a_form_error(client, make_user, monkeypatch):
    from app.auth import services

    make_user(username="ADA", email="first@example.com")
    monkeypatch.setattr(services, "name_taken", lambda *a, **k: None)  # the race: check passes
    response = client.submit("/signup", signup_data())
    assert response.status_code == 422
    assert "already exists" in field_error(response.get_data(as_text=True), "username")
    assert user_count() == 1
