"""Who must use a second factor (SPEC §10): the admin settings, an organization's owner, the
grace period, the pages a person who must enroll can still reach, and the admin's reset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import settings
from app.extensions import db, utcnow
from tests.auth.helpers import actions, reload
from tests.factors.conftest import password_step, verify


def require(**values) -> None:
    settings.set_many(values)
    db.session.commit()


@pytest.mark.parametrize(
    ("setting", "is_admin", "held"),
    [
        ("require_2fa_admins", True, True),
        ("require_2fa_admins", False, False),
        ("require_2fa_everyone", False, True),
    ],
)
def test_the_site_setting_holds_whom_it_names(client, make_user, login_as, setting, is_admin, held):
    require(**{setting: True, "factor_grace_days": 0})
    login_as(make_user(username="ada", is_admin=is_admin))
    answer = client.get("/account/sessions")
    if held:
        assert answer.status_code == 302 and answer.headers["Location"] == "/account/security"
        page = client.get("/account/security").get_data(as_text=True)
        assert "requires a second factor" in page
    else:
        assert answer.status_code == 200


def test_the_grace_period_lets_the_person_in_until_it_ends(client, make_user, login_as):
    require(require_2fa_everyone=True, factor_grace_days=7)
    user = make_user(username="ada")
    login_as(user)
    assert client.get("/account/sessions").status_code == 200
    deadline = reload(user).factor_deadline
    assert timedelta(days=6, hours=23) < deadline - utcnow() <= timedelta(days=7)
    reload(user).factor_deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account/sessions").status_code == 302


def test_a_person_who_must_enroll_can_enroll_and_sign_out_only(client, make_user, login_as):
    require(require_2fa_everyone=True, factor_grace_days=0)
    login_as(make_user(username="ada"))
    assert client.get("/orgs").status_code == 302
    assert client.get("/account/tokens").status_code == 302
    started = client.submit("/account/security/app", page="/account/security")
    assert started.status_code == 303 and started.headers["Location"].startswith(
        "/account/security"
    )
    assert client.submit("/logout", page="/account/security").status_code == 303


def test_enrolling_lifts_the_gate(client, with_app, make_user, login_as):
    require(require_2fa_everyone=True, factor_grace_days=0)
    user, _ = with_app(username="ada")
    login_as(user)
    assert client.get("/account/sessions").status_code == 200


def test_an_owner_requires_it_of_members_only(client, app, make_user, make_org, login_as, factory):
    require(factor_grace_days=0)
    owner, member = make_user(username="olga"), make_user(username="max")
    outsider = make_user(username="otto")
    org = make_org(owner, slug="acme", members={member: "worker"})
    login_as(owner)
    done = client.submit("/orgs/acme/require-2fa", {"require_2fa": "y"}, page="/orgs/acme/edit")
    assert done.status_code == 303
    db.session.expire_all()
    assert org.require_2fa and [e.detail for e in actions("org.require_2fa")] == ["true"]
    for person, held in ((member, True), (outsider, False), (owner, True)):
        browser = app.test_client()
        factory.sign_in(browser, person)
        assert (browser.get("/account/sessions").status_code == 302) is held, person.username
    browser = app.test_client()
    factory.sign_in(browser, member)
    assert "Acme requires a second factor of its members" in browser.get(
        "/account/security"
    ).get_data(as_text=True)


def test_only_the_owner_may_require_it(client, make_user, make_org, login_as):
    owner, maintainer = make_user(username="olga"), make_user(username="mia")
    org = make_org(owner, slug="acme", members={maintainer: "maintainer"})
    login_as(maintainer)
    answer = client.submit("/orgs/acme/require-2fa", {"require_2fa": "y"}, page="/orgs/acme/edit")
    assert answer.status_code == 403
    db.session.expire_all()
    assert not org.require_2fa


def test_lifting_the_requirement_lifts_the_gate(client, make_user, make_org, login_as, factory):
    require(factor_grace_days=0)
    owner, member = make_user(username="olga"), make_user(username="max")
    org = make_org(owner, slug="acme", members={member: "worker"})
    reload(member).factor_deadline = utcnow()
    org.require_2fa = True
    db.session.commit()
    login_as(member)
    assert client.get("/account/sessions").status_code == 302
    org.require_2fa = False
    db.session.commit()
    assert client.get("/account/sessions").status_code == 200
    assert reload(member).factor_deadline is None


def test_an_admin_resets_a_persons_factors(client, app, with_app, make_user, login_as, factory):
    user, _ = with_app(username="ada")
    factory.session_for(user)
    admin = make_user(username="root", is_admin=True)
    login_as(admin)
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "Reset second factors" in page
    done = client.submit(
        f"/admin/users/{user.id}/reset-factors", page=f"/admin/users/{user.id}/edit"
    )
    assert done.status_code == 303
    user = reload(user)
    assert user.second_factor_at is None and user.totp_secret is None
    assert user.open_sessions == 0
    assert [e.actor_name for e in actions("admin.factors_reset")] == ["root"]
    browser = app.test_client()
    assert password_step(browser, user).headers["Location"] == "/"  # the password alone again


def test_a_person_cannot_reset_factors_and_an_admin_not_their_own(
    client, app, with_app, make_user, login_as, factory
):
    user, _ = with_app(username="ada")
    login_as(make_user(username="bob"))
    answer = client.submit(f"/admin/users/{user.id}/reset-factors", page="/account/sessions")
    assert answer.status_code == 404 and reload(user).second_factor_at is not None
    admin, _ = with_app(username="root", is_admin=True)
    browser = app.test_client()
    factory.sign_in(browser, admin)
    own = browser.submit(f"/admin/users/{admin.id}/reset-factors", page="/admin")
    assert own.status_code == 422 and reload(admin).second_factor_at is not None


def test_recovery_by_question_ends_in_the_second_factor(client, with_app):
    """The question gives a temporary password; signing in with it still asks for the factor,
    then the password change (SPEC §10: recovery never bypasses a second factor)."""
    from tests.factories import ANSWER

    user, codes = with_app(username="ada")
    client.submit("/forgot", {"login": "ada"})
    answer = client.submit("/forgot/answer", {"answer": ANSWER}, page="/forgot/answer")
    html = answer.get_data(as_text=True)
    temporary = html.split('id="temporary-password">')[1].split("<")[0]
    signed = client.submit("/login", {"login": "ada", "password": temporary})
    assert signed.headers["Location"] == "/login/verify"
    assert client.get("/account/password").status_code == 302  # not signed in yet
    assert verify(client, recovery_code=codes[0]).status_code == 303
    assert client.get("/").headers["Location"] == "/account/password"
