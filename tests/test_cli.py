"""`flask create-admin` and `flask ensure-admin`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import passwords
from app.extensions import db
from app.models import AuditEvent, User

STRONG = "granite weather copper violin"


def admins() -> list[User]:
    db.session.expire_all()
    return list(db.session.scalars(select(User).where(User.is_admin.is_(True))))


def test_ensure_admin_creates_admin_admin_flagged_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ensure-admin"])
    assert result.exit_code == 0, result.output
    [admin] = admins()
    assert admin.username == "admin" and admin.must_change_password
    assert admin.email is None and not admin.email_verified  # no address: nothing to prove
    assert passwords.verify_password(admin.password_hash, "admin")
    again = runner.invoke(args=["ensure-admin"])
    assert again.exit_code == 0 and len(admins()) == 1


def test_ensure_admin_with_admin_password_is_not_flagged(app):
    app.config["ADMIN_PASSWORD"] = STRONG
    result = app.test_cli_runner().invoke(args=["ensure-admin"])
    assert result.exit_code == 0
    [admin] = admins()
    assert not admin.must_change_password
    assert passwords.verify_password(admin.password_hash, STRONG)
    assert STRONG not in result.output


def test_ensure_admin_refuses_when_the_name_is_taken_by_a_non_admin(app, make_user):
    make_user(username="Admin")
    result = app.test_cli_runner().invoke(args=["ensure-admin"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert admins() == []


def test_default_admin_can_only_change_its_password(app, client):
    app.test_cli_runner().invoke(args=["ensure-admin"])
    response = client.submit("/login", {"login": "admin", "password": "admin"})
    assert response.headers["Location"] in ("/", "/account/password")
    assert client.get("/admin/").headers["Location"] == "/account/password"
    changed = client.submit(
        "/account/password",
        {"current_password": "admin", "new_password": STRONG, "new_password_confirm": STRONG},
    )
    assert changed.status_code == 303
    assert client.get("/admin/").status_code == 200


def test_create_admin_from_options(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--username",
            "boss",
            "--email",
            "Boss@Example.com",
            "--password",
            STRONG,
        ]
    )
    assert result.exit_code == 0, result.output
    [admin] = admins()
    assert admin.username == "boss" and admin.email_key == "boss@example.com"
    assert admin.email_verified, "the operator at the console vouches for it, as an admin could"
    assert not admin.must_change_password
    assert STRONG not in result.output
    assert db.session.scalar(select(AuditEvent.action)) == "admin.user_created"


def test_create_admin_interactively(app):
    answers = f"chief\nchief@example.com\n{STRONG}\n{STRONG}\n"
    result = app.test_cli_runner().invoke(args=["create-admin"], input=answers)
    assert result.exit_code == 0, result.output
    assert [a.username for a in admins()] == ["chief"]


@pytest.mark.parametrize(
    "options, reason",
    [
        (["--username", "x"], "letters"),
        (["--username", "good", "--email", "not-an-email"], "email"),
        (["--username", "good", "--password", "short"], "at least"),
        (["--username", "good", "--password", "1qaz2wsx3edc4rfv"], "common"),
        (["--username", "taken"], "already exists"),
        (["--username", "TAKEN2", "--email", "Taken@example.com"], "already exists"),
    ],
)
def test_create_admin_refuses_bad_input(app, make_user, options, reason):
    make_user(username="taken", email="taken@example.com")
    args = ["create-admin", "--email", "", "--password", STRONG, *options]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert reason in result.output
    assert admins() == []
