"""/account/security: setting up the app with the QR code, recovery codes shown once,
removing the app, new codes; each change audited and mailed (SPEC §10)."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import func, select

from app.extensions import db
from app.models import RecoveryCode
from tests.auth.helpers import actions, reload
from tests.factories import PASSWORD

KEY = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')
CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def set_up_app(client) -> tuple[str, list[str]]:
    """Through the page, as a person does: start, read the key, confirm a code."""
    page = client.submit("/account/security/app", page="/account/security", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'aria-label="QR code of the key"' in html
    key = KEY.search(html).group(1)
    done = client.submit(
        "/account/security/app/confirm", {"code": pyotp.TOTP(key).now()}, page="/account/security"
    )
    assert done.status_code == 200
    assert done.headers["Cache-Control"].startswith("no-store")
    return key, CODES.findall(done.get_data(as_text=True))


def test_setting_up_the_app_shows_ten_codes_once(client, make_user, login_as):
    user = make_user(username="ada")
    login_as(user)
    key, codes = set_up_app(client)
    assert len(codes) == 10
    user = reload(user)
    assert user.totp_secret == key and user.second_factor_at is not None
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    again = client.get("/account/security").get_data(as_text=True)
    assert not CODES.findall(again) and "10 unused codes left" in again
    assert [e.action for e in actions("factor.app_added")] == ["factor.app_added"]


def test_a_wrong_confirmation_code_keeps_the_app_off(client, make_user, login_as):
    user = make_user(username="ada")
    login_as(user)
    client.submit("/account/security/app", page="/account/security")
    answer = client.submit(
        "/account/security/app/confirm", {"code": "12"}, page="/account/security"
    )
    assert answer.status_code == 422
    assert "That code is not right" in answer.get_data(as_text=True)
    assert reload(user).second_factor_at is None


def test_removing_the_app_asks_for_the_password(client, make_user, login_as):
    user = make_user(username="ada")
    login_as(user)
    set_up_app(client)
    wrong = client.submit(
        "/account/security/app/remove", {"password": "not it"}, page="/account/security"
    )
    assert wrong.status_code == 422 and reload(user).second_factor_at is not None
    done = client.submit(
        "/account/security/app/remove", {"password": PASSWORD}, page="/account/security"
    )
    assert done.status_code == 303
    user = reload(user)
    assert user.totp_secret is None and user.second_factor_at is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0  # codes went with it


def test_new_codes_replace_the_old_ones(client, make_user, login_as):
    user = make_user(username="ada")
    login_as(user)
    _, old = set_up_app(client)
    answer = client.submit(
        "/account/security/recovery-codes", {"password": PASSWORD}, page="/account/security"
    )
    new = CODES.findall(answer.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 10


def test_adding_and_removing_the_app_is_mailed(client, make_user, login_as, smtp_server, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    user = make_user(username="ada")
    login_as(user)
    set_up_app(client)
    client.submit("/account/security/app/remove", {"password": PASSWORD}, page="/account/security")
    subjects = [m["Subject"] for m in smtp_server.messages]
    bodies = " ".join(m.get_payload() for m in smtp_server.messages)
    assert len(subjects) == 2
    assert "authenticator app was added" in bodies and "was removed" in bodies
