"""SECURITY 3: repetitive, sequential, keyboard-walk and padded-dictionary passwords are refused
at the default length by zxcvbn's estimate, with its reason next to the field, wherever a
password is chosen: sign-up, the password change and an admin's new user."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app import passwords
from app.extensions import db
from app.models import User
from tests.auth.helpers import signup_data
from tests.factories import PASSWORD

WEAK = (
    "aaaaaaaaaaaaaaa",
    "123456789012345",
    "qwertyuiopasdfgh",
    "passwordpassword1",
    "iloveyouiloveyou",
)
GOOD = "harbor violet mosaic drifting"


def _reason(response, field: str) -> str:
    found = re.search(rf'id="{field}-error">(.*?)</small>', response.get_data(as_text=True), re.S)
    assert found, f"no error next to {field}"
    return html.unescape(found.group(1))


def _users() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize("weak", WEAK)
def test_signup_refuses_a_weak_password_with_the_reason(client, weak):
    response = client.submit(
        "/signup", signup_data(password=weak, password_confirm=weak), page="/signup"
    )
    assert response.status_code == 422
    reason = _reason(response, "password")
    assert "too easy to guess" in reason and passwords.strength_problem(weak) == reason
    assert _users() == 0


def test_signup_accepts_a_passphrase(client):
    response = client.submit("/signup", signup_data(password=GOOD, password_confirm=GOOD))
    assert response.status_code == 303 and _users() == 1


@pytest.mark.parametrize("weak", WEAK)
def test_a_password_change_refuses_a_weak_password(client, make_user, login_as, weak):
    user = make_user()
    login_as(user)
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": weak, "new_password_confirm": weak},
    )
    assert response.status_code == 422
    assert "too easy to guess" in _reason(response, "new_password")
    db.session.expire_all()
    assert passwords.verify_password(db.session.get(User, user.id).password_hash, PASSWORD)


def test_a_password_change_accepts_a_passphrase(client, make_user, login_as):
    login_as(make_user())
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": GOOD, "new_password_confirm": GOOD},
    )
    assert response.status_code == 303


@pytest.mark.parametrize("weak", WEAK)
def test_an_admin_cannot_give_a_weak_password(client, admin, login_as, weak):
    login_as(admin)
    response = client.submit("/admin/users/new", {"username": "newbie", "password": weak})
    assert response.status_code == 422
    assert "too easy to guess" in _reason(response, "password")
    assert _users() == 1
    accepted = client.submit("/admin/users/new", {"username": "newbie", "password": GOOD})
    assert accepted.status_code in (302, 303) and _users() == 2


def test_the_persons_names_count_against_the_password(client):
    # Strong on its own; made of the person's own display name and email, it is not.
    password = "QuentinZabriskie"
    assert passwords.strength_problem(password) is None
    data = signup_data(
        email="quentin.zabriskie@example.com",
        username="qzed",
        display_name="Quentin Zabriskie",
        password=password,
        password_confirm=password,
    )
    response = client.submit("/signup", data, page="/signup")
    assert response.status_code == 422 and "too easy to guess" in _reason(response, "password")


def test_a_128_character_password_is_estimated_and_accepted(app):
    # zxcvbn refuses input over 72 characters and slows with the square of the length: only
    # the start of the password is estimated, the password itself is not cut.
    long_ones = [
        "correct horse battery staple " * 4 + "x" * 12,
        "".join(chr(0x3B1 + i % 24) + str(i % 10) for i in range(64)),  # Greek and digits
    ]
    for password in long_ones:
        assert len(password) == passwords.MAX_LENGTH == 128
        assert passwords.password_problem(password, 15) is None
    assert "too easy" in passwords.password_problem("a" * 128, 15)
