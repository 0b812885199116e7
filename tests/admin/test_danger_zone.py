"""The user page's danger zone, and temporary passwords an admin hands on."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import passwords
from app.extensions import db
from app.models import AuditEvent, User
from tests.factories import ANSWER

LOOK_ALIKES = set("0Oo1lI")


def reload(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def section(html: str, css_class: str) -> str:
    return html.split(f'<section class="{css_class}"')[1].split("</section>")[0]


def shown_password(html: str) -> str:
    return re.search(r'<code class="secret" id="temp-password">([^<]+)</code>', html).group(1)


def test_destructive_actions_sit_in_the_danger_zone(admin_client, make_user):
    user = make_user(username="dora")
    html = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    danger = section(html, "danger-zone")
    for action in ("disable", "delete", "temporary-password"):
        assert f'action="/admin/users/{user.id}/{action}"' in danger, action
        assert html.count(f'action="/admin/users/{user.id}/{action}"') == 1, action
    assert 'data-confirm="Disable dora and sign out all their sessions?"' in danger
    assert 'name="confirm_username"' in danger
    actions = section(html, "panel").split("Actions")[-1]
    assert "/disable" not in actions and "/delete" not in actions


def test_ones_own_page_has_no_destructive_buttons(admin_client, admin):
    html = admin_client.get(f"/admin/users/{admin.id}/edit").get_data(as_text=True)
    danger = section(html, "danger-zone")
    assert "<form" not in danger and "cannot disable, delete" in danger


def test_breadcrumbs_lead_back_and_counts_read_naturally(admin_client, make_user, factory):
    user = make_user(username="dora")
    factory.session_for(user)
    html = admin_client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    crumbs = html.split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", crumbs.split(">", 1)[1])).strip() == (
        "Admin Users dora"
    )
    assert '<a href="/admin/users">Users</a>' in crumbs
    assert ">1 active session</a>" in html and "session(s)" not in html


def test_temporary_passwords_have_no_look_alike_characters():
    samples = [passwords.temporary_password() for _ in range(300)]
    assert not LOOK_ALIKES & set("".join(samples))
    assert set("".join(samples)) <= set(passwords.TEMPORARY_ALPHABET) | {"-"}
    assert len(set(samples)) == 300
    bits = 5 * sum(c != "-" for c in samples[0])  # 32 symbols: 5 bits each
    assert bits >= 128 and not LOOK_ALIKES & set(passwords.TEMPORARY_ALPHABET)


def test_an_admin_sets_a_temporary_password_shown_once_with_a_copy_button(
    admin_client, admin, make_user, factory, app
):
    user = make_user(username="dora")
    elsewhere = app.test_client()
    factory.sign_in(elsewhere, user)
    edit = f"/admin/users/{user.id}/edit"
    response = admin_client.submit(f"/admin/users/{user.id}/temporary-password", {}, page=edit)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    temporary = shown_password(html)
    assert '<button type="button" class="copy secondary" data-copy="#temp-password">' in html
    assert not LOOK_ALIKES & set(temporary)
    user = reload(user.id)
    assert passwords.verify_password(user.password_hash, temporary)
    assert user.must_change_password and user.open_sessions == 0
    assert elsewhere.get("/").status_code == 302
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "admin.password_reset")
    ).all()
    assert event.actor_id == admin.id and event.target_user_id == user.id
    assert temporary not in (event.detail or "")
    assert 'id="temp-password"' not in admin_client.get(edit).get_data(as_text=True)


def test_nobody_sets_a_temporary_password_for_themselves(admin_client, admin):
    edit = f"/admin/users/{admin.id}/edit"
    response = admin_client.submit(f"/admin/users/{admin.id}/temporary-password", {}, page=edit)
    assert response.status_code == 422 and "your own account" in response.get_data(as_text=True)
    assert not reload(admin.id).must_change_password


def test_a_new_account_without_a_password_gets_a_temporary_one(admin_client):
    response = admin_client.submit(
        "/admin/users/new", {"username": "gwen", "password": "", "must_change_password": ""}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    temporary = shown_password(html)
    assert "Created the account gwen" in html and "Temporary password for gwen" in html
    user = db.session.scalar(select(User).where(User.username == "gwen"))
    assert passwords.verify_password(user.password_hash, temporary)
    assert user.must_change_password  # whatever the box said


@pytest.mark.parametrize("name", ["lost"])
def test_recovery_gives_a_look_alike_free_password(client, make_user, name):
    make_user(username=name)
    client.submit("/forgot", {"login": name})
    client.get("/forgot/answer")
    response = client.submit("/forgot/answer", {"answer": ANSWER})
    temporary = re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True))
    assert temporary and not LOOK_ALIKES & set(temporary.group(1))
    assert len(temporary.group(1).replace("-", "")) * 5 >= 128
