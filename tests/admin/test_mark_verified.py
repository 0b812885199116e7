"""An admin marks a person's address verified: audited, shown, and refused to everyone else."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db, utcnow
from app.models import AuditEvent, User
from tests.admin.tables import rows_by_first_word


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_admin_marks_an_address_verified(admin_client, admin, make_user):
    bob = make_user("bob", email="bob@example.com")
    edit = f"/admin/users/{bob.id}/edit"
    page = admin_client.get(edit).get_data(as_text=True)
    assert "Not verified" in page and f"/admin/users/{bob.id}/verify-email" in page
    response = admin_client.submit(f"/admin/users/{bob.id}/verify-email", page=edit)
    assert response.status_code == 303 and response.headers["Location"].endswith(edit)
    assert reload(bob.id).email_verified_at is not None
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "admin.email_verified")
    ).all()
    assert event.actor_id == admin.id and event.target_user_id == bob.id
    assert event.detail == "bob@example.com"
    page = admin_client.get(edit).get_data(as_text=True)
    assert "Not verified" not in page and "Verified" in page
    assert f"/admin/users/{bob.id}/verify-email" not in page
    again = admin_client.submit(f"/admin/users/{bob.id}/verify-email", page=edit)
    assert again.status_code == 409 and "already verified" in again.get_data(as_text=True)


def test_an_account_without_an_address_has_nothing_to_verify(admin_client, make_user):
    eve = make_user("eve", email=None)
    edit = f"/admin/users/{eve.id}/edit"
    response = admin_client.submit(f"/admin/users/{eve.id}/verify-email", page=edit)
    assert response.status_code == 422 and "no email address" in response.get_data(as_text=True)
    assert reload(eve.id).email_verified_at is None


def test_a_non_admin_gets_404_and_changes_nothing(client, make_user, login_as):
    bob = make_user("bob", email="bob@example.com")
    login_as(bob)
    token = client.csrf_token("/account")
    response = client.post(f"/admin/users/{bob.id}/verify-email", data={"csrf_token": token})
    assert response.status_code == 404
    assert reload(bob.id).email_verified_at is None


def test_the_users_table_shows_who_is_verified(admin_client, make_user):
    make_user("vera", email="vera@example.com", email_verified_at=utcnow())
    make_user("ulla", email="ulla@example.com")
    rows = rows_by_first_word(admin_client.get("/admin/users?sort=name").get_data(as_text=True))
    assert rows["vera"]["Email"] == "vera@example.com Verified"
    assert rows["ulla"]["Email"] == "ulla@example.com"
