"""/account: password change, profile and security question."""

from __future__ import annotations

import pytest

from app import passwords
from tests.auth.helpers import actions, login, reload
from tests.factories import ANSWER, PASSWORD

NEW = "lantern orchard quietly folding"


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.submit(
        "/account/password",
        {"current_password": current, "new_password": new, "new_password_confirm": confirm or new},
    )


def test_change_password_keeps_this_session_and_ends_the_others(client, make_user, factory, app):
    user = make_user(username="changer")
    login(client, "changer", PASSWORD)
    other = app.test_client()
    factory.sign_in(other, user)
    before = client.get_cookie("session").value
    response = change(client)
    assert response.status_code == 303
    assert client.get_cookie("session").value != before, "new cookie after a privilege change"
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    user = reload(user)
    assert passwords.verify_password(user.password_hash, NEW) and user.open_sessions == 1
    assert [e.action for e in actions("password.changed")] == ["password.changed"]


@pytest.mark.parametrize(
    "current, new, confirm, field",
    [
        ("not my password at all", NEW, None, "current_password"),
        (PASSWORD, NEW, NEW + "x", "new_password_confirm"),
        (PASSWORD, "too short", None, "new_password"),
        (PASSWORD, "p" * 129, None, "new_password"),
        (PASSWORD, PASSWORD, None, "new_password"),
        (PASSWORD, "mine is keeper forever", None, "new_password"),
        (PASSWORD, "1qaz2wsx3edc4rfv", None, "new_password"),
    ],
)
def test_bad_password_change_is_refused_next_to_the_field(
    client, make_user, current, new, confirm, field
):
    user = make_user(username="keeper")
    login(client, "keeper", PASSWORD)
    response = change(client, current, new, confirm)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert passwords.verify_password(reload(user).password_hash, PASSWORD)


def test_profile_changes_name_freely_and_email_with_the_password(client, make_user):
    user = make_user(username="prof", email="prof@example.com")
    login(client, "prof", PASSWORD)
    ok = client.submit("/account", {"display_name": "Professor", "email": "prof@example.com"})
    assert ok.status_code == 303 and reload(user).display_name == "Professor"
    refused = client.submit("/account", {"display_name": "Professor", "email": "new@example.com"})
    assert refused.status_code == 422 and 'id="current_password-error"' in refused.get_data(True)
    assert reload(user).email == "prof@example.com"
    done = client.submit(
        "/account",
        {"display_name": "Professor", "email": "new@example.com", "current_password": PASSWORD},
    )
    assert done.status_code == 303 and reload(user).email == "new@example.com"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "TAKEN@example.com"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "bad\x00"}, "display_name"),
    ],
)
def test_bad_profile_is_refused(client, make_user, changes, field):
    make_user(username="taken", email="taken@example.com")
    user = make_user(username="me", email="me@example.com")
    login(client, "me", PASSWORD)
    data = {"display_name": "Me", "email": "me@example.com", "current_password": PASSWORD}
    response = client.submit("/account", {**data, **changes})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert reload(user).email == "me@example.com"


def test_security_question_change_needs_the_password(client, make_user):
    user = make_user(username="asker")
    login(client, "asker", PASSWORD)
    data = {"security_question": "Favourite colour?", "security_answer": "ultramarine blue"}
    refused = client.submit("/account/security-question", {**data, "current_password": "nope"})
    assert refused.status_code == 422
    assert passwords.verify_answer(reload(user).security_answer_hash, ANSWER)
    same_as_name = client.submit(
        "/account/security-question",
        {**data, "security_answer": "Asker", "current_password": PASSWORD},
    )
    assert same_as_name.status_code == 422
    ok = client.submit("/account/security-question", {**data, "current_password": PASSWORD})
    assert ok.status_code == 303
    user = reload(user)
    assert user.security_question == "Favourite colour?"
    assert passwords.verify_answer(user.security_answer_hash, "ULTRAMARINE  blue")


def test_password_inputs_allow_managers_and_long_passwords(client, make_user):
    make_user(username="inputs")
    pages = ["/login", "/signup", "/forgot"]
    anonymous = [client.get(p).get_data(as_text=True) for p in pages]
    client.submit("/forgot", {"login": "inputs"})
    anonymous.append(client.get("/forgot/answer").get_data(as_text=True))
    login(client, "inputs", PASSWORD)
    signed_in = [
        client.get(p).get_data(as_text=True)
        for p in ("/account", "/account/password", "/account/security-question")
    ]
    import re

    inputs = [
        tag
        for html in anonymous + signed_in
        for tag in re.findall(r"<input[^>]*>", html)
        if 'type="password"' in tag
    ]
    assert len(inputs) >= 8
    for tag in inputs:
        assert "autocomplete=" in tag, tag
        found = re.search(r'maxlength="(\d+)"', tag)
        assert found is None or int(found.group(1)) >= 128, tag
        assert "onpaste" not in tag


def test_email_taken_between_check_and_write_is_a_form_error(client, make_user, monkeypatch):
    from app.account import services

    make_user(username="holder", email="wanted@example.com")
    user = make_user(username="racer", email="racer@example.com")
    login(client, "racer", PASSWORD)
    monkeypatch.setattr(services, "name_taken", lambda *a, **k: None)
    response = client.submit(
        "/account",
        {"display_name": "R", "email": "WANTED@example.com", "current_password": PASSWORD},
    )
    assert response.status_code == 422 and 'id="email-error"' in response.get_data(as_text=True)
    assert reload(user).email == "racer@example.com"
