"""The real consumer path: `flask worker` (a Huey consumer) in its own process, SQLite storage.

The request (/forgot in emailed-link mode) only queues a task; the consumer process, started
afterwards, runs it (the account's link and its mail go to the outbox) and delivers the mail.
With SMTP down the message waits in the outbox; a consumer started again later (a restart)
delivers it once the server is back, because the row lives in the app's database.
Ctrl-C (SIGINT) stops the consumer cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app import jobs, settings
from app.extensions import db
from app.models import OutboxMessage
from tests.conftest import TEST_SECRET
from tests.mail.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_overrides(smtp_server, tmp_path):
    return {
        **smtp_server.config(),
        "HUEY_IMMEDIATE": False,
        "HUEY_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "MAIL_RETRY_SECONDS": 1,
    }


def start_worker(app, tmp_path: Path, mail_port: int, log: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": app.config["BASE_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(mail_port),
        "MAIL_RETRY_SECONDS": "1",
        "HUEY_URL": app.config["HUEY_URL"],
        "GATEHOUSE_INSTANCE": str(tmp_path),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--threads", "1"],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / log, "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )


def stop_with_ctrl_c(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Seen:
    attempts: int
    sent_at: object
    last_error: str | None
    body: str


def the_message() -> Seen | None:
    """The outbox row as the worker process left it. The read's transaction ends at once: the
    test runs outside a request, so on SQLite it is a write transaction (BEGIN IMMEDIATE), and
    holding it between polls would starve the worker of the write lock."""
    try:
        row = db.session.scalars(select(OutboxMessage)).one_or_none()
        return row and Seen(row.attempts, row.sent_at, row.last_error, row.body)
    finally:
        db.session.rollback()


def test_the_consumer_process_delivers_retries_after_a_restart_and_stops_on_ctrl_c(
    app, client, make_user, smtp_server, tmp_path
):
    settings.set_many({"recovery_email_link": True})
    db.session.commit()
    make_user("alice")
    response = client.submit("/forgot", {"login": "alice"})
    assert response.status_code == 200
    assert smtp_server.connections == 0 and jobs.huey.pending_count() == 1
    db.session.commit()

    down = start_worker(app, tmp_path, free_port(), "worker-1.log")  # SMTP is down for it
    try:
        tried = wait_until(lambda: (m := the_message()) is not None and m.attempts >= 1, 30)
    finally:
        assert stop_with_ctrl_c(down) == 0, (tmp_path / "worker-1.log").read_text()[-3000:]
    assert tried, (tmp_path / "worker-1.log").read_text()[-3000:]
    message = the_message()
    assert message is not None and message.sent_at is None
    assert "ConnectionRefusedError" in (message.last_error or "")
    assert smtp_server.messages == []

    up = start_worker(app, tmp_path, smtp_server.port, "worker-2.log")  # restarted, SMTP back
    try:
        delivered = wait_until(lambda: len(smtp_server.messages) == 1, 30)
    finally:
        assert stop_with_ctrl_c(up) == 0, (tmp_path / "worker-2.log").read_text()[-3000:]
    assert delivered, (tmp_path / "worker-2.log").read_text()[-3000:]
    assert smtp_server.recipients == [["alice@example.com"]]
    assert "/forgot/link/" in smtp_server.messages[0].get_content()
    message = the_message()
    assert message is not None and message.sent_at is not None
    assert message.attempts >= 2 and message.body == ""
