"""The mail outbox: a row written in the event's own transaction, sent later by the worker.

Here the queue is not in immediate mode (Huey's in-memory storage, no consumer), so a request
only writes the row and each `outbox.deliver_due()` call stands for one run of the worker.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import mail, outbox
from app.extensions import db, utcnow
from app.models import OutboxMessage
from tests.mail.smtp_server import free_port


@pytest.fixture
def app_overrides(smtp_server):
    return {**smtp_server.config(), "HUEY_IMMEDIATE": False, "HUEY_URL": "memory://"}


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def invite(client, email: str = "bob@example.com"):
    return client.submit(
        "/orgs/acme/invitations",
        {"email": email, "role": "worker"},
        page="/orgs/acme",
        follow_redirects=True,
    )


@pytest.fixture
def inviter(client, make_user, make_org, login_as):
    alice = make_user("alice")
    make_org(owner=alice, slug="acme", name="Acme")
    login_as(alice)
    return alice


def test_the_request_only_writes_the_outbox_and_the_worker_sends(client, inviter, smtp_server):
    page = invite(client).get_data(as_text=True)
    assert "The invitation email to bob@example.com is on its way." in page
    assert smtp_server.connections == 0, "no SMTP inside the request"
    [message] = rows()
    assert message.recipient == "bob@example.com" and message.subject == "Invitation to join Acme"
    assert message.sent_at is None and message.attempts == 0
    assert outbox.deliver_due() == 1
    assert smtp_server.recipients == [["bob@example.com"]]
    [message] = rows()
    assert message.sent_at is not None and message.attempts == 1
    assert message.body == "", "the body carries a single-use link: wiped once delivered"


def test_smtp_down_keeps_the_message_and_the_next_run_delivers_it(
    app, client, inviter, smtp_server
):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    invite(client)
    assert outbox.deliver_due() == 0
    [message] = rows()
    assert message.sent_at is None and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow(), "retried later, not in a tight loop"
    assert "/invitations/" in message.body, "kept until it is delivered"
    app.config["MAIL_PORT"] = smtp_server.port  # the server is back
    assert outbox.deliver_due() == 0, "not due before its back-off"
    assert outbox.deliver_due(now=message.next_attempt_at) == 1
    assert smtp_server.recipients == [["bob@example.com"]]
    [message] = rows()
    assert message.sent_at is not None and message.attempts == 2 and message.body == ""


def test_failures_back_off_and_give_up_after_a_day(app, smtp_server):
    app.config["MAIL_PORT"] = free_port()
    mail.send("bob@example.com", "Hello", "a link")
    db.session.commit()
    [message] = rows()
    now, delays = message.created_at, []
    for _ in range(5):
        outbox.deliver_due(now=now)
        [message] = rows()
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    outbox.deliver_due(now=message.created_at + timedelta(hours=25))
    [message] = rows()
    assert message.attempts == 6 and message.sent_at is None
    assert message.next_attempt_at is None, "given up: never tried again"
    assert message.body == "" and message.last_error
    assert outbox.deliver_due(now=message.created_at + timedelta(days=3)) == 0


def test_a_rolled_back_event_leaves_no_mail(smtp_server, make_user):
    alice = make_user("alice")
    mail.notify_security_change(alice, "Your password was changed.")
    db.session.flush()
    assert len(rows()) == 1  # visible inside the transaction...
    db.session.rollback()
    assert rows() == []  # ...and gone with it
    assert outbox.deliver_due() == 0 and smtp_server.connections == 0
    mail.notify_security_change(alice, "Your password was changed.")
    db.session.commit()
    assert outbox.deliver_due() == 1
    assert smtp_server.recipients == [["alice@example.com"]]


def test_workers_running_at_once_send_each_message_once(app, smtp_server):
    for n in range(12):
        mail.send(f"person{n}@example.com", "Hello", f"message {n}")
    db.session.commit()
    barrier = threading.Barrier(4)
    sent: list[int] = []

    def worker() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            sent.append(outbox.deliver_due())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(sent) == 12 and len(sent) == 4
    delivered = sorted(r[0] for r in smtp_server.recipients)
    assert delivered == sorted(f"person{n}@example.com" for n in range(12))
    assert all(m.sent_at is not None and m.attempts == 1 for m in rows())


def test_old_delivered_messages_are_purged(app, smtp_server):
    mail.send("bob@example.com", "Hello", "body")
    db.session.commit()
    outbox.deliver_due()
    [message] = rows()
    outbox.purge(now=message.sent_at + timedelta(days=29))
    assert len(rows()) == 1
    outbox.purge(now=message.sent_at + timedelta(days=31))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_nothing_is_queued_without_a_mail_server(app, make_user, smtp_server):
    app.config["MAIL_SERVER"] = None
    mail.notify_security_change(make_user("alice"), "Your password was changed.")
    mail.send("bob@example.com", "Hello", "body")
    db.session.commit()
    assert rows() == []
