"""Delivery of the mail outbox (the worker's side; app/jobs.py decides when it runs).

Each due message is claimed with one conditional UPDATE and its own short transaction, so
several workers at once send each message once, and no database lock is held while the SMTP
server is talking. A claim also pushes the message's next attempt a lease ahead: if the worker
dies while sending, the message becomes due again then (at least once, never lost). A failure
waits 1, 2, 4 … minutes (MAIL_RETRY_SECONDS doubles, at most an hour apart) and the message is
given up a day after it was written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, Executable, delete, select, update

from app import mail
from app.extensions import db, utcnow
from app.models import OutboxMessage

log = logging.getLogger("gatehouse.outbox")
BATCH = 100
LEASE = timedelta(minutes=5)
LONGEST_WAIT = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Run:
    sent: int = 0
    failed: int = 0
    retry_in: timedelta | None = None  # until the earliest retry of a message that failed now


def backoff(attempts: int) -> timedelta:
    first = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(first * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def deliver_due(now: datetime | None = None) -> int:
    """Send every message due at `now`; returns how many were sent."""
    return deliver(now).sent


def deliver(now: datetime | None = None) -> Run:
    """One run of the worker: every message due at `now` is claimed and tried once."""
    now = now or utcnow()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.next_attempt_at <= now, OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(BATCH)
    ).all()
    db.session.commit()
    sent, waits = 0, []
    for message_id in due:
        message = _claim(message_id, now)
        if message is None:
            continue  # another worker has it
        wait = _attempt(message, now)
        if wait is None:
            sent += 1
        else:
            waits.append(wait)
    retries = [w for w in waits if w > timedelta(0)]
    return Run(sent, len(waits), min(retries) if retries else None)


@dataclass(frozen=True)
class _Claimed:
    id: int
    recipient: str
    subject: str
    body: str
    attempts: int
    created_at: datetime


def _claim(message_id: int, now: datetime) -> _Claimed | None:
    claimed = _execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None
    copy = _Claimed(row.id, row.recipient, row.subject, row.body, row.attempts, row.created_at)
    db.session.commit()
    return copy


def _attempt(message: _Claimed, now: datetime) -> timedelta | None:
    """Send one claimed message and record the outcome: None when sent, else the wait before
    the next try (zero when given up)."""
    try:
        mail.transmit(message.recipient, message.subject, message.body)
    except mail.MailError as exc:
        give_up = now - message.created_at >= GIVE_UP_AFTER
        wait = timedelta(0) if give_up else backoff(message.attempts)
        _record(
            message.id,
            last_error=str(exc)[:500],
            next_attempt_at=None if give_up else now + wait,
            **({"body": ""} if give_up else {}),
        )
        if give_up:
            log.error("outbox message %s given up after %s attempts", message.id, message.attempts)
        return wait
    _record(message.id, sent_at=utcnow(), next_attempt_at=None, body="")
    return None


def _record(message_id: int, **values: object) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def _execute(statement: Executable) -> CursorResult:
    """An UPDATE or DELETE, whose result tells how many rows it touched."""
    return cast(CursorResult, db.session.execute(statement))


def purge(now: datetime | None = None) -> int:
    """Forget messages sent or given up more than KEEP ago; returns how many."""
    cutoff = (now or utcnow()) - KEEP
    done = _execute(
        delete(OutboxMessage).where(
            OutboxMessage.next_attempt_at.is_(None), OutboxMessage.created_at < cutoff
        )
    )
    db.session.commit()
    return done.rowcount
