"""Mail over a real SMTP server on loopback: invitations, recovery links, security notices.

The tests run the queue in immediate mode (base_config), so the worker's delivery runs as soon
as the event's transaction commits; tests/mail/test_outbox.py covers the queued path.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app import settings
from app.extensions import db
from app.models import Invitation, Membership, OutboxMessage, RecoveryLink
from tests.concurrency import simultaneously
from tests.factories import ANSWER, PASSWORD
from tests.mail.smtp_server import free_port

BASE = "http://gatehouse.example.com"


@pytest.fixture
def app_overrides(smtp_server):
    return smtp_server.config()


@pytest.fixture(autouse=True)
def every_message_went_through_the_outbox(smtp_server):
    yield
    db.session.expire_all()
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_not(None)))
    assert sorted(m.recipient for m in sent) == sorted(r[0] for r in smtp_server.recipients)


def links(message, path: str) -> list[str]:
    return re.findall(re.escape(BASE + path) + r"[A-Za-z0-9_-]+", message.get_content())


def test_invitation_mail_carries_a_working_link_from_base_url(
    client, make_user, make_org, login_as, smtp_server
):
    alice, bob = make_user("alice"), make_user("bob")
    org = make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    response = client.submit(
        "/orgs/acme/invitations",
        {"email": "Bob@Example.com", "role": "worker"},
        page="/orgs/acme",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "The invitation email to Bob@example.com is on its way." in page
    assert "/invitations/" not in page.split("is on its way")[1][:200]  # no link shown
    assert smtp_server.recipients == [["Bob@example.com"]]
    message = smtp_server.messages[0]
    assert message["Subject"] == "Invitation to join Acme"
    [link] = links(message, "/invitations/")
    login_as(bob)
    path = link.removeprefix(BASE)
    client.submit(path + "/accept", page=path)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 2
    assert org.id


def test_resend_mails_a_new_link(client, make_user, make_org, login_as, smtp_server):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    client.submit(
        "/orgs/acme/invitations", {"email": "bob@example.com", "role": "worker"}, page="/orgs/acme"
    )
    invitation_id = db.session.scalar(select(Invitation.id))
    client.submit(f"/orgs/acme/invitations/{invitation_id}/resend", page="/orgs/acme")
    first, second = (links(m, "/invitations/")[0] for m in smtp_server.messages)
    assert first != second
    assert client.get(first.removeprefix(BASE)).status_code == 404


def test_smtp_down_keeps_the_invitation_and_its_mail_for_later(
    app, client, make_user, make_org, login_as
):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    alice = make_user("alice")
    make_org(owner=alice, slug="acme")
    login_as(alice)
    response = client.submit(
        "/orgs/acme/invitations",
        {"email": "bob@example.com", "role": "worker"},
        page="/orgs/acme",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "is on its way" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    [message] = db.session.scalars(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and message.last_error


def test_password_change_sends_a_security_notice(client, make_user, login_as, smtp_server):
    alice = make_user("alice")
    login_as(alice)
    new = "an entirely different long passphrase"
    response = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert response.status_code == 303
    assert smtp_server.recipients == [["alice@example.com"]]
    assert "Your password was changed." in smtp_server.messages[0].get_content()


def test_recovery_by_question_sends_a_notice(client, make_user, smtp_server):
    make_user("alice")
    client.submit("/forgot", {"login": "alice"})
    response = client.submit("/forgot/answer", {"answer": ANSWER})
    assert response.status_code == 200
    assert smtp_server.recipients == [["alice@example.com"]]
    assert "security question" in smtp_server.messages[0].get_content()


@pytest.fixture
def link_required(app):
    settings.set_many({"recovery_email_link": True})
    db.session.commit()


def test_recovery_link_comes_first_then_the_question(client, make_user, smtp_server, link_required):
    make_user("alice")
    response = client.submit("/forgot", {"login": "alice"})
    assert "Check your email" in response.get_data(as_text=True)
    # Without the link the question stays closed.
    assert client.get("/forgot/answer").status_code == 302
    [link] = links(smtp_server.messages[0], "/forgot/link/")
    stored = db.session.scalar(select(RecoveryLink.token_hash))
    assert link.rsplit("/", 1)[1] not in stored and len(link.rsplit("/", 1)[1]) >= 43
    response = client.get(link.removeprefix(BASE))
    assert response.status_code == 303 and response.headers["Location"].endswith("/forgot/answer")
    assert "What was the name of your first pet?" in client.get("/forgot/answer").get_data(
        as_text=True
    )
    response = client.submit("/forgot/answer", {"answer": ANSWER})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    # Single use.
    assert client.get(link.removeprefix(BASE)).status_code == 404


def test_unknown_accounts_get_the_same_page_and_no_mail(client, smtp_server, link_required):
    response = client.submit("/forgot", {"login": "nobody-here"})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_a_link_opens_only_its_own_account(client, make_user, smtp_server, link_required):
    make_user("alice")
    make_user("bob")
    client.submit("/forgot", {"login": "alice"})
    [link] = links(smtp_server.messages[0], "/forgot/link/")
    client.get(link.removeprefix(BASE))
    client.submit("/forgot", {"login": "bob"})  # a new request resets the flow
    assert client.get("/forgot/answer").status_code == 302


def test_a_link_opened_by_several_requests_at_once_works_once(
    app, client, make_user, smtp_server, link_required
):
    """The GET that uses the link is a write transaction (@writes): on SQLite too, the opens
    queue for the lock, one wins, the others see the link used — never a 500."""
    make_user("alice")
    client.submit("/forgot", {"login": "alice"})
    [link] = links(smtp_server.messages[0], "/forgot/link/")
    path = link.removeprefix(BASE)
    statuses = simultaneously([lambda: app.test_client().get(path).status_code] * 6)
    assert sorted(statuses) == [303] + [404] * 5
