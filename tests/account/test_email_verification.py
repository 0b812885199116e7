"""Email verification by an emailed single-use link, over a real SMTP server (SECURITY 30)."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db, utcnow
from app.models import User
from tests.auth.helpers import actions, reload, signup_data
from tests.factories import PASSWORD

BASE = "http://gatehouse.example.com"
LINK = re.compile(re.escape(BASE) + r"(/account/verify-email/[A-Za-z0-9_-]+)")


@pytest.fixture
def app_overrides(smtp_server):
    return smtp_server.config()


def link_paths(smtp_server) -> list[str]:
    return [path for m in smtp_server.messages for path in LINK.findall(m.get_content())]


def ada() -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == "ada"))


def age_link(user: User, by: timedelta = timedelta(minutes=2)) -> None:
    """Pretend the user's live link went out `by` ago (its expiry moves back as much)."""
    user = reload(user)
    user.email_verification_expires_at -= by
    db.session.commit()


def test_signup_mails_a_single_use_link_that_verifies_on_confirmation(client, smtp_server):
    assert client.submit("/signup", signup_data()).status_code == 303
    assert smtp_server.recipients == [["ada@example.com"]]
    assert smtp_server.messages[0]["Subject"] == "Verify your email address"
    [path] = link_paths(smtp_server)
    token = path.rsplit("/", 1)[1]
    user = ada()
    assert len(token) >= 43  # 32 bytes from secrets = 256 bits
    assert user.email_verification_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        timedelta(hours=47) < user.email_verification_expires_at - utcnow() <= timedelta(hours=48)
    )
    assert user.email_verified_at is None

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ada@example.com" in html and "Verify this address" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert ada().email_verified_at is None, "GET never changes state"

    done = client.submit(path, page=path)
    assert done.status_code == 303 and done.headers["Location"].endswith("/account")
    user = ada()
    assert user.email_verified_at is not None and user.email_verification_hash is None
    assert [e.detail for e in actions("account.email_verified")] == ["ada@example.com"]
    assert "Verified" in client.get("/account").get_data(as_text=True)
    # Single use.
    assert client.get(path).status_code == 404
    assert client.submit(path, page="/account").status_code == 404


def test_expired_and_wrong_links_are_refused(client, smtp_server):
    client.submit("/signup", signup_data())
    [path] = link_paths(smtp_server)
    age_link(ada(), timedelta(hours=48, seconds=1))
    assert client.get(path).status_code == 404
    refused = client.submit(path, page="/account")
    assert refused.status_code == 404 and "not valid any more" in refused.get_data(as_text=True)
    assert ada().email_verified_at is None
    wrong = "/account/verify-email/" + "A" * 43
    assert client.get(wrong).status_code == 404
    assert client.submit(wrong, page="/account").status_code == 404
    assert client.get("/account/verify-email/" + "x" * 5000).status_code == 404


def test_a_link_works_only_for_the_account_it_was_sent_to(client, smtp_server, make_user, login_as):
    client.submit("/signup", signup_data())
    [path] = link_paths(smtp_server)
    mallory = make_user("mallory")
    login_as(mallory)
    assert client.get(path).status_code == 404
    assert client.submit(path, page="/account").status_code == 404
    assert ada().email_verified_at is None
    assert reload(mallory).email_verified_at is None


def test_the_link_asks_a_signed_out_visitor_to_sign_in_first(client, smtp_server):
    client.submit("/signup", signup_data())
    [path] = link_paths(smtp_server)
    client.submit("/logout", page="/account")
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert ada().email_verified_at is None


def test_resend_replaces_the_link_and_waits_a_minute_between_mails(client, smtp_server):
    client.submit("/signup", signup_data())
    [first] = link_paths(smtp_server)
    page = client.get("/account").get_data(as_text=True)
    assert "Not verified" in page and "Send a new verification link" in page
    too_soon = client.submit("/account/verify-email/resend", page="/account")
    assert too_soon.status_code == 409
    assert "less than a minute ago" in too_soon.get_data(as_text=True)
    assert len(smtp_server.messages) == 1
    age_link(ada())
    response = client.submit("/account/verify-email/resend", page="/account")
    assert response.status_code == 303
    _, second = link_paths(smtp_server)
    assert second != first
    assert client.get(first).status_code == 404, "a new link cancels the old one"
    assert client.submit(second, page=second).status_code == 303
    assert ada().email_verified_at is not None
    already = client.submit("/account/verify-email/resend", page="/account")
    assert already.status_code == 409 and len(smtp_server.messages) == 2


def test_simultaneous_resends_send_one_mail_and_leave_one_live_link(
    app, factory, make_user, smtp_server
):
    user = make_user("ada")
    clients = []
    for _ in range(4):
        client = app.test_client()
        factory.sign_in(client, user)
        clients.append((client, client.csrf_token("/account")))
    barrier = threading.Barrier(len(clients))
    statuses: list = [None] * len(clients)

    def resend(index: int) -> None:
        client, token = clients[index]
        barrier.wait(timeout=10)
        response = client.post("/account/verify-email/resend", data={"csrf_token": token})
        statuses[index] = response.status_code

    db.session.commit()  # end the test's own transaction: it would read an old snapshot after
    threads = [threading.Thread(target=resend, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [303, 409, 409, 409], statuses
    [path] = link_paths(smtp_server)
    token = path.rsplit("/", 1)[1]
    assert reload(user).email_verification_hash == hashlib.sha256(token.encode()).hexdigest()


def test_changing_the_email_clears_verification_and_mails_the_new_address(
    client, make_user, login_as, smtp_server
):
    user = make_user("ada", email="ada@example.com", email_verified_at=utcnow())
    login_as(user)
    assert "Verified" in client.get("/account").get_data(as_text=True)
    # Same address in another letter case: the same mailbox, still verified.
    same = {"display_name": "Ada", "email": "ADA@example.com", "current_password": PASSWORD}
    assert client.submit("/account", same).status_code == 303
    assert reload(user).email_verified_at is not None and smtp_server.messages == []
    changed = {"display_name": "Ada", "email": "ada@example.org", "current_password": PASSWORD}
    response = client.submit("/account", changed, follow_redirects=True)
    assert "verification link to ada@example.org" in response.get_data(as_text=True)
    user = reload(user)
    assert user.email == "ada@example.org" and user.email_verified_at is None
    assert smtp_server.recipients == [["ada@example.org"]]
    [path] = link_paths(smtp_server)
    assert client.submit(path, page=path).status_code == 303
    assert reload(user).email_verified_at is not None


def test_an_earlier_link_dies_with_the_address_it_was_sent_to(client, smtp_server):
    client.submit("/signup", signup_data())
    [old] = link_paths(smtp_server)
    password = signup_data()["password"]
    changed = {"display_name": "Ada", "email": "ada@example.org", "current_password": password}
    assert client.submit("/account", changed).status_code == 303
    assert client.get(old).status_code == 404
    assert client.submit(old, page="/account").status_code == 404
    assert ada().email_verified_at is None


def test_admin_setting_an_email_mails_a_link_to_it(client, admin, make_user, login_as, smtp_server):
    bob = make_user("bob", email="bob@example.com", email_verified_at=utcnow())
    login_as(admin)
    data = {"display_name": "Bob", "email": "robert@example.com"}
    assert client.submit(f"/admin/users/{bob.id}/edit", data).status_code == 303
    assert reload(bob).email_verified_at is None
    assert smtp_server.recipients == [["robert@example.com"]]
    new = {
        "username": "carol",
        "display_name": "Carol",
        "email": "carol@example.com",
        "password": "violet tractor pebble anthem",
    }
    assert client.submit("/admin/users/new", new).status_code == 303
    assert smtp_server.recipients[-1] == ["carol@example.com"]
    assert len(link_paths(smtp_server)) == 2
