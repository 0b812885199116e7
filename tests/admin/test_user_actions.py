"""Create, edit, disable, enable, unlock, delete: happy paths, refusals, and their effects."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app import passwords
from app.extensions import db
from app.models import AuditEvent, Invitation, Membership, Project, Subscription, User, UserSession
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase for you"


def reload(user_id: int) -> User | None:
    db.session.expire_all()
    return db.session.get(User, user_id)


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def live_sessions(user_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    )


# --- create ---------------------------------------------------------------------------------


def test_create_user(admin_client, admin):
    response = admin_client.submit(
        "/admin/users/new",
        {
            "username": "dana",
            "display_name": "Dana Scully",
            "email": "Dana@Example.com",
            "password": NEW_PASSWORD,
            "is_admin": "y",
        },
    )
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.username == "dana"))
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}/edit")
    assert user.display_name == "Dana Scully" and user.email == "Dana@example.com"
    assert user.is_admin and not user.must_change_password
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    [event] = events("admin.user_created")
    assert event.actor_id == admin.id and event.target_user_id == user.id


def test_create_user_without_email_defaults_display_name(admin_client):
    response = admin_client.submit(
        "/admin/users/new", {"username": "eve", "password": NEW_PASSWORD}
    )
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.username == "eve"))
    assert user.email is None and user.display_name == "eve" and not user.is_admin


def test_new_user_form_offers_a_forced_password_change(admin_client):
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="must_change_password"' in html and "checked" in html
    admin_client.submit(
        "/admin/users/new",
        {"username": "fred", "password": NEW_PASSWORD, "must_change_password": "y"},
    )
    assert db.session.scalar(select(User).where(User.username == "fred")).must_change_password


def test_create_refuses_taken_names_and_bad_input(admin_client, make_user):
    make_user(username="taken", email="taken@example.com")
    cases = [
        ({"username": "TAKEN", "password": NEW_PASSWORD}, "Username already exists"),
        (
            {"username": "other", "email": "Taken@Example.com", "password": NEW_PASSWORD},
            "Email already exists",
        ),
        ({"username": "x", "password": NEW_PASSWORD}, "Use 3–50 letters"),
        ({"username": "<script>", "password": NEW_PASSWORD}, "Use 3–50 letters"),
        ({"username": "shorty", "password": "short"}, "Use at least 15 characters"),
        ({"username": "commonly", "password": "1qaz2wsx3edc4rfv"}, "too common"),
        ({"username": "selfish", "password": "my name is selfish ok"}, "must not contain"),
        ({"username": "mailer", "email": "not-an-email", "password": NEW_PASSWORD}, "email"),
        ({"username": "nul\x00", "password": NEW_PASSWORD}, "control characters"),
        ({"username": "", "password": NEW_PASSWORD}, "Choose a username"),
    ]
    for data, message in cases:
        response = admin_client.submit("/admin/users/new", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_names_taken_between_check_and_write_are_form_errors(admin_client, make_user, monkeypatch):
    """The unique constraints answer when the check was passed by a concurrent request."""
    from app.admin import services

    make_user(username="taken", email="taken@example.com")
    jill = make_user(username="jill", email="jill@example.com")
    monkeypatch.setattr(services, "name_taken", lambda *a, **k: None)
    cases = [
        ("/admin/users/new", {"username": "TAKEN", "password": NEW_PASSWORD}, "username"),
        (
            "/admin/users/new",
            {"username": "fresh", "email": "Taken@example.com", "password": NEW_PASSWORD},
            "email",
        ),
        (
            f"/admin/users/{jill.id}/edit",
            {"display_name": "Jill", "email": "TAKEN@example.com"},
            "email",
        ),
    ]
    for url, data, field in cases:
        response = admin_client.submit(url, data)
        html = response.get_data(as_text=True)
        assert response.status_code in (409, 422), (url, data)
        assert re.search(rf'id="{field}-error">[^<]*already', html), (url, data)
    assert db.session.scalar(select(func.count()).select_from(User)) == 3
    assert reload(jill.id).email == "jill@example.com"


# --- edit -----------------------------------------------------------------------------------


def test_edit_applies_at_the_users_next_request(admin_client, app, make_user, factory):
    user = make_user(username="gina")
    other = app.test_client()
    factory.sign_in(other, user)
    assert other.get("/admin/").status_code == 404
    response = admin_client.submit(
        f"/admin/users/{user.id}/edit",
        {"display_name": "Gina Linetti", "email": "gina@example.org", "is_admin": "y"},
    )
    assert response.status_code == 303
    assert other.get("/admin/").status_code == 200  # promoted: same session, next request
    user = reload(user.id)
    assert (user.display_name, user.email, user.is_admin) == (
        "Gina Linetti",
        "gina@example.org",
        True,
    )
    assert passwords.verify_password(user.password_hash, PASSWORD)  # blank keeps it
    [event] = events("admin.user_updated")
    assert "is_admin: False -> True" in event.detail
    admin_client.submit(
        f"/admin/users/{user.id}/edit", {"display_name": "Gina", "email": "gina@example.org"}
    )
    assert other.get("/admin/").status_code == 404  # demoted again


def test_edit_sets_password_forces_change_and_revokes_sessions(
    admin_client, app, make_user, factory
):
    user = make_user(username="hank")
    other = app.test_client()
    factory.sign_in(other, user)
    response = admin_client.submit(
        f"/admin/users/{user.id}/edit",
        {
            "display_name": "Hank",
            "email": "hank@example.com",
            "password": NEW_PASSWORD,
            "must_change_password": "y",
            "revoke_sessions": "y",
        },
    )
    assert response.status_code == 303
    user = reload(user.id)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert user.must_change_password and live_sessions(user.id) == 0
    assert other.get("/").status_code == 302  # signed out


def test_setting_a_password_signs_the_person_out_without_the_box(
    admin_client, app, make_user, factory
):
    """SECURITY 22: whoever held the old password loses the sessions it opened."""
    user = make_user(username="hugo")
    other = app.test_client()
    factory.sign_in(other, user)
    assert other.get("/").status_code == 200
    response = admin_client.submit(
        f"/admin/users/{user.id}/edit",
        {"display_name": "Hugo", "email": "hugo@example.com", "password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert live_sessions(user.id) == 0
    response = other.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    [event] = events("admin.user_updated")
    assert "password" in event.detail and "sessions ended: 1" in event.detail


def test_revoke_box_still_works_without_a_password(admin_client, app, make_user, factory):
    user = make_user(username="hazel")
    kept, revoked = app.test_client(), app.test_client()
    factory.sign_in(kept, user)
    edit = f"/admin/users/{user.id}/edit"
    form = {"display_name": "Hazel", "email": "hazel@example.com"}
    assert admin_client.submit(edit, form).status_code == 303
    assert kept.get("/").status_code == 200, "an edit without the box keeps sessions"
    factory.sign_in(revoked, user)
    assert admin_client.submit(edit, {**form, "revoke_sessions": "y"}).status_code == 303
    assert live_sessions(user.id) == 0
    assert kept.get("/").status_code == 302 and revoked.get("/").status_code == 302


def test_admin_setting_their_own_password_keeps_the_session_in_use(
    admin_client, admin, app, factory
):
    elsewhere = app.test_client()
    factory.sign_in(elsewhere, admin)
    response = admin_client.submit(
        f"/admin/users/{admin.id}/edit",
        {"display_name": "Root", "is_admin": "y", "password": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert admin_client.get("/admin/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert live_sessions(admin.id) == 1


def test_edit_refusals(admin_client, admin, make_user):
    make_user(username="ivy", email="ivy@example.com")
    jack = make_user(username="jack")
    response = admin_client.submit(
        f"/admin/users/{jack.id}/edit", {"display_name": "Jack", "email": "IVY@example.com"}
    )
    assert response.status_code == 422 and "Email already exists" in response.get_data(as_text=True)
    response = admin_client.submit(
        f"/admin/users/{jack.id}/edit", {"display_name": "", "email": ""}
    )
    assert response.status_code == 422 and "This field is required" in response.get_data(
        as_text=True
    )
    response = admin_client.submit(
        f"/admin/users/{jack.id}/edit", {"display_name": "Jack", "password": "jack jack jack jack"}
    )
    assert response.status_code == 422
    assert reload(jack.id).display_name == "Jack" and reload(jack.id).email == "jack@example.com"
    # demoting oneself
    response = admin_client.submit(f"/admin/users/{admin.id}/edit", {"display_name": "Root"})
    assert response.status_code == 422
    assert "own account" in response.get_data(as_text=True)
    assert reload(admin.id).is_admin


def test_last_admin_cannot_be_demoted_even_by_another_path(admin_client, admin, make_user):
    other = make_user(username="kim", is_admin=True)
    assert (
        admin_client.submit(f"/admin/users/{other.id}/edit", {"display_name": "Kim"}).status_code
        == 303
    )
    assert not reload(other.id).is_admin
    # root is now the last admin; a disabled admin does not count as another one
    make_user(username="ghost", is_admin=True, is_disabled=True)
    import pytest

    from app.admin import services
    from app.errors import DomainError

    with pytest.raises(DomainError, match="last administrator"):
        services.disable(other, reload(admin.id))
    with pytest.raises(DomainError, match="last administrator"):
        services.delete_user(other, reload(admin.id), "root")
    with pytest.raises(DomainError, match="last administrator"):
        services.update_user(
            other, reload(admin.id), services.UserChanges("Root", None, False, None, False, False)
        )


# --- disable, enable, unlock ----------------------------------------------------------------


def test_disable_revokes_sessions_blocks_sign_in_and_keeps_data(
    admin_client, app, make_user, factory
):
    user = make_user(username="lena")
    other = app.test_client()
    factory.sign_in(other, user)
    assert other.get("/").status_code == 200
    response = admin_client.submit(
        f"/admin/users/{user.id}/disable", {}, page=f"/admin/users/{user.id}/edit"
    )
    assert response.status_code == 303
    assert reload(user.id).is_disabled and live_sessions(user.id) == 0
    assert other.get("/").status_code == 302
    login = app.test_client()
    login.submit("/login", {"login": "lena", "password": PASSWORD})
    assert login.get("/").status_code == 302
    assert events("admin.user_disabled")[0].actor_name == "root"
    response = admin_client.submit(
        f"/admin/users/{user.id}/enable", {}, page=f"/admin/users/{user.id}/edit"
    )
    assert response.status_code == 303 and not reload(user.id).is_disabled
    assert events("admin.user_enabled")
    login.submit("/login", {"login": "lena", "password": PASSWORD})
    assert login.get("/").status_code == 200


def test_nobody_disables_themselves(admin_client, admin):
    response = admin_client.submit(
        f"/admin/users/{admin.id}/disable", {}, page=f"/admin/users/{admin.id}/edit"
    )
    assert response.status_code == 422
    assert "cannot disable your own account" in response.get_data(as_text=True)
    assert not reload(admin.id).is_disabled


def test_unlock_clears_failures_and_reopens_recovery(admin_client, make_user):
    user = make_user(username="mona", failed_logins=100, recovery_failures=5, recovery_locked=True)
    page = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "100 failed sign-ins in a row" in page
    assert "Recovery by security question is closed" in page
    response = admin_client.submit(
        f"/admin/users/{user.id}/unlock", {}, page=f"/admin/users/{user.id}/edit"
    )
    assert response.status_code == 303
    user = reload(user.id)
    assert (
        user.failed_logins,
        user.last_failed_login_at,
        user.recovery_failures,
        user.recovery_locked,
    ) == (0, None, 0, False)
    assert "failed sign-ins: 100" in events("admin.user_unlocked")[0].detail


# --- delete ---------------------------------------------------------------------------------


def test_delete_cascades_and_ends_the_session(
    admin_client, app, admin, make_user, make_org, factory
):
    user = make_user(username="nora")
    org = make_org(owner=admin, slug="acme", members={user: "worker"})
    db.session.add(Project(name="mine", personal_owner_id=user.id, created_by_id=user.id))
    db.session.add(Project(name="org one", organization_id=org.id, created_by_id=user.id))
    from datetime import timedelta

    from app.extensions import utcnow

    db.session.add(
        Invitation(
            organization_id=org.id,
            email="x@example.com",
            email_key="x@example.com",
            role="worker",
            token_hash="t" * 64,
            invited_by_id=user.id,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    db.session.commit()
    other = app.test_client()
    factory.sign_in(other, user)
    edit = f"/admin/users/{user.id}/edit"
    wrong = admin_client.submit(
        f"/admin/users/{user.id}/delete", {"confirm_username": "nor"}, page=edit
    )
    assert wrong.status_code == 422 and "not this account" in wrong.get_data(as_text=True)
    response = admin_client.submit(
        f"/admin/users/{user.id}/delete", {"confirm_username": "nora"}, page=edit
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/users")
    assert reload(user.id) is None
    assert other.get("/").status_code == 302
    count = lambda model, *where: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(*where)
    )
    assert count(UserSession, UserSession.user_id == user.id) == 0
    assert count(Membership, Membership.user_id == user.id) == 0
    assert count(Project, Project.personal_owner_id == user.id) == 0
    assert count(Project, Project.organization_id == org.id) == 1  # the org keeps its project
    assert count(Invitation, Invitation.organization_id == org.id) == 1  # invited_by is cleared
    [event] = events("admin.user_deleted")
    assert event.target == "nora" and event.actor_id == admin.id


def test_delete_refused_for_an_organization_owner_and_names_it(admin_client, make_user, make_org):
    owner = make_user(username="olga")
    make_org(owner=owner, slug="olgas-lab")
    page = admin_client.get(f"/admin/users/{owner.id}/edit").get_data(as_text=True)
    assert "olgas-lab" in page
    response = admin_client.submit(
        f"/admin/users/{owner.id}/delete",
        {"confirm_username": "olga"},
        page=f"/admin/users/{owner.id}/edit",
    )
    assert response.status_code == 422
    assert "olga owns olgas-lab" in response.get_data(as_text=True)
    assert reload(owner.id) is not None


def test_delete_refused_while_stripe_still_bills_the_person(admin_client, make_user):
    payer = make_user(username="paula")
    db.session.add(
        Subscription(
            user_id=payer.id,
            plan="solo",
            status="active",
            source="stripe",
            stripe_subscription_id="sub_paula",
        )
    )
    db.session.commit()
    response = admin_client.submit(
        f"/admin/users/{payer.id}/delete",
        {"confirm_username": "paula"},
        page=f"/admin/users/{payer.id}/edit",
    )
    assert response.status_code == 422
    assert "paula has a Stripe subscription (active)" in response.get_data(as_text=True)
    assert reload(payer.id) is not None


def test_nobody_deletes_themselves(admin_client, admin, make_user):
    make_user(username="second", is_admin=True)
    response = admin_client.submit(
        f"/admin/users/{admin.id}/delete", {"confirm_username": "root"}, page="/admin/users/new"
    )
    assert response.status_code == 422
    assert "cannot delete your own account" in response.get_data(as_text=True)
    assert reload(admin.id) is not None


def test_unknown_ids_are_404(admin_client):
    assert admin_client.get("/admin/users/999/edit").status_code == 404
    for action in ("disable", "enable", "unlock", "delete", "sessions/revoke"):
        response = admin_client.submit(
            f"/admin/users/999/{action}", {"confirm_username": "x"}, page="/admin/users/new"
        )
        assert response.status_code == 404, action
    assert (
        admin_client.submit("/admin/sessions/999/revoke", {}, page="/admin/sessions").status_code
        == 404
    )


def test_posts_without_csrf_are_refused(admin_client, make_user):
    user = make_user(username="pia")
    for url, data in (
        (f"/admin/users/{user.id}/disable", {}),
        (f"/admin/users/{user.id}/delete", {"confirm_username": "pia"}),
        (f"/admin/users/{user.id}/edit", {"display_name": "X"}),
        ("/admin/users/new", {"username": "quin", "password": NEW_PASSWORD}),
        ("/admin/settings", {"site_name": "Hacked"}),
    ):
        assert admin_client.post(url, data=data).status_code == 400, url
    user = reload(user.id)
    assert not user.is_disabled and user.display_name == "Pia"
    assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_names_are_escaped_on_the_edit_page(admin_client, make_user):
    user = make_user(username="rex", display_name="<script>alert(1)</script>")
    html = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
