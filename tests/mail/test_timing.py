"""/forgot in emailed-link mode: a real and an unknown account get the same answer by the same
path. The request only records the request and queues a task; the worker looks the account up,
writes the link and its mail to the outbox and sends it, so no request talks to the SMTP server
or writes anything that depends on the account. The medians of both kinds of request are printed
(pytest -s) for the record.
"""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import event, func, select

from app import jobs, outbox, settings
from app.extensions import db
from app.models import OutboxMessage

ROUNDS = 20


@pytest.fixture
def app_overrides(smtp_server, tmp_path):
    # The production shape: a queue in a SQLite file, no consumer inside the request.
    return {
        **smtp_server.config(),
        "HUEY_IMMEDIATE": False,
        "HUEY_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }


def test_forgot_answers_known_and_unknown_accounts_alike_without_smtp(
    client, make_user, smtp_server
):
    settings.set_many(
        {"recovery_email_link": True, "forgot_account_per_hour": 100, "forgot_ip_per_hour": 1000}
    )
    db.session.commit()
    make_user("alice")
    token = client.csrf_token("/forgot")
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    pages: dict[str, set[str]] = {"known": set(), "unknown": set()}
    statements: dict[str, set[str]] = {"known": set(), "unknown": set()}
    for _ in range(ROUNDS):
        for kind, login in (("known", "alice"), ("unknown", "nobody-here")):
            ran: list[str] = []

            def listener(_conn, _cursor, sql, *_args, ran=ran) -> None:
                ran.append(sql)

            event.listen(db.engine, "before_cursor_execute", listener)
            started = time.perf_counter()
            response = client.post("/forgot", data={"login": login, "csrf_token": token})
            times[kind].append(time.perf_counter() - started)
            event.remove(db.engine, "before_cursor_execute", listener)
            assert response.status_code == 200
            pages[kind].add(response.get_data(as_text=True))
            statements[kind].update(ran)
    assert pages["known"] == pages["unknown"] and len(pages["known"]) == 1
    assert statements["known"] == statements["unknown"], "the same SQL for both"
    assert smtp_server.connections == 0, "no request opened an SMTP connection"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # Outside a request the test's read is a write transaction on SQLite (app/transactions.py):
    # end it, or the tasks below wait for its lock.
    db.session.rollback()
    medians = {kind: statistics.median(t) * 1000 for kind, t in times.items()}
    print(
        f"\n/forgot link mode, median of {ROUNDS}: known {medians['known']:.2f} ms, "
        f"unknown {medians['unknown']:.2f} ms"
    )
    assert jobs.huey.pending_count() == 2 * ROUNDS  # one task per request, known or not
    # The worker's side: each task looks the name up; a real account's link goes to the outbox,
    # whose commit queues a delivery run, which the same loop then runs.
    while (task := jobs.huey.dequeue()) is not None:
        jobs.huey.execute(task)
    assert smtp_server.recipients == [["alice@example.com"]] * ROUNDS
    assert outbox.deliver_due() == 0
