"""Server-side session records (SPEC §3).

The cookie carries a random token; the row keeps its SHA-256. A row is live while it is not
ended, not past its absolute expiry and, unless remembered, not idle for too long. Ending rows
always goes through `_end_where`, which keeps `users.open_sessions` exact in the same transaction.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import (
    ARRAY,
    Integer,
    Row,
    Select,
    bindparam,
    cast,
    false,
    func,
    select,
    text,
    true,
    union_all,
    update,
)

from app import audit, settings
from app.extensions import db, utcnow
from app.models import User, UserSession
from app.transactions import write_transaction

SEEN_RESOLUTION = timedelta(seconds=60)  # last_seen is written at most once a minute


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    if remember:
        return timedelta(days=settings.get("remember_days"))
    return timedelta(hours=settings.get("session_lifetime_hours"))


def start(
    user: User, *, remember: bool, ip: str | None, user_agent: str | None
) -> tuple[UserSession, str]:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        token_hash=digest(token),
        user=user,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _lifetime(remember),
        remember=remember,
        ip=ip,
        user_agent=(user_agent or "")[:255],
        privilege_epoch=user.privilege_epoch,
    )
    db.session.add(record)
    db.session.execute(
        update(User).where(User.id == user.id).values(open_sessions=User.open_sessions + 1)
    )
    return record, token


def _expired(record: UserSession, now: datetime) -> bool:
    idle = timedelta(minutes=settings.get("session_idle_minutes"))
    return (
        now >= record.expires_at
        or now >= record.created_at + _lifetime(record.remember)
        or (not record.remember and now >= record.last_seen_at + idle)
    )


class Rider(Protocol):
    """What a page needs on every request, fetched in the session lookup's own statement.

    `extend` may only add columns and outer joins (the lookup must find the same record);
    `keep` gets the rows (one or more, the record first in each) once the record is known live.
    """

    def __hash__(self) -> int: ...  # statements are built once per rider (functools.cache)

    def extend(self, query: Select) -> Select: ...

    def keep(self, record: UserSession, rows: Sequence[Row]) -> None: ...


@functools.cache
def _lookup(rider: Rider | None) -> Select:
    """The statement finding an open record by its digest, built once per rider: building a
    statement and its cache key cost more Python than running it, on every request. The
    settings' revision rides along (app/settings.py), saving a query a page."""
    query = select(UserSession, settings.revision_column()).where(
        UserSession.token_hash == bindparam("digest"), UserSession.ended_at.is_(None)
    )
    return rider.extend(query) if rider else query


@dataclass(frozen=True)
class Found:
    record: UserSession
    live: bool  # False: expired, to be ended by `keep_up`


def find(token: str, rider: Rider | None = None) -> Found | None:
    """The open record for a cookie token, or None. Only reads (the user loader calls it)."""
    rows = db.session.execute(_lookup(rider), {"digest": digest(token)}).all()
    if not rows:
        return None
    record = rows[0][0]
    settings.seen_revision(rows[0][1])
    if _expired(record, utcnow()):
        return Found(record, live=False)
    if rider is not None:
        rider.keep(record, rows)
    return Found(record, live=True)


def needs_upkeep(found: Found) -> bool:
    record = found.record
    return (
        not found.live
        or record.privilege_epoch != record.user.privilege_epoch
        or utcnow() - record.last_seen_at >= SEEN_RESOLUTION
    )


def privileges_changed(*users: User) -> None:
    """The admin flag or an organization role of `users` changed: each of their sessions gets a
    new id at its next request (web.keep_session_up). The caller commits."""
    for user in users:
        user.privilege_epoch = User.privilege_epoch + 1


def touch(record: UserSession) -> None:
    """Note that the record was used now (at most once a minute); the caller commits."""
    now = utcnow()
    if record.last_seen_at.date() != now.date():
        audit.record("session.active", record.user)  # feeds "active users" per day
    record.last_seen_at = now


def _end_where(*conditions, reason: str) -> int:
    """End the open records matching `conditions`; two statements whatever their number."""
    ended = db.session.scalars(
        update(UserSession)
        .where(UserSession.ended_at.is_(None), *conditions)
        .values(ended_at=utcnow(), end_reason=reason)
        .returning(UserSession.user_id)
        .execution_options(synchronize_session="fetch")
    ).all()
    if ended:
        per_user = select(_id_list(ended), func.count().label("n")).group_by(text("1")).subquery()
        db.session.execute(
            update(User)
            .where(User.id == per_user.c.value)
            .values(open_sessions=User.open_sessions - per_user.c.n)
            .execution_options(synchronize_session=False)
        )
    return len(ended)


def _id_list(ids: Sequence[int]):
    """The ids as rows of one column `value`, passed as a single parameter (an array on
    PostgreSQL, JSON on SQLite), so the statement is the same for one id or a hundred thousand."""
    if db.session.get_bind().dialect.name == "postgresql":
        array = cast(bindparam("ids", ids, type_=ARRAY(Integer)), ARRAY(Integer))
        return func.unnest(array).table_valued("value").render_derived().c.value
    return func.json_each(json.dumps(ids)).table_valued("value").c.value


def end(record: UserSession, reason: str) -> int:
    return _end_where(UserSession.id == record.id, reason=reason)


def end_by_id(user_id: int | None, session_id: int, reason: str) -> int:
    """End one session; with `user_id`, only if it belongs to that user."""
    conditions = [UserSession.id == session_id]
    if user_id is not None:
        conditions.append(UserSession.user_id == user_id)
    return _end_where(*conditions, reason=reason)


def end_all(user: User, reason: str, keep: UserSession | None = None) -> int:
    conditions = [UserSession.user_id == user.id]
    if keep is not None:
        conditions.append(UserSession.id != keep.id)
    return _end_where(*conditions, reason=reason)


def sweep(user: User | None = None) -> int:
    """End every expired record (of `user` only, if given), so open means live.

    Each way of expiring is a range scan on its own partial index, joined by UNION ALL, so a
    sweep that finds nothing to end reads next to nothing (one OR across them made PostgreSQL
    recheck rows).
    """
    now = utcnow()
    idle = timedelta(minutes=settings.get("session_idle_minutes"))
    scope = [UserSession.user_id == user.id] if user is not None else []
    arms = (
        [UserSession.expires_at <= now],
        [UserSession.remember == false(), UserSession.last_seen_at <= now - idle],
        [
            UserSession.remember == false(),
            UserSession.created_at <= now - _lifetime(False),
            UserSession.created_at >= _oldest_open(false()),
        ],
        [
            UserSession.remember == true(),
            UserSession.created_at <= now - _lifetime(True),
            UserSession.created_at >= _oldest_open(true()),
        ],
    )
    expired = union_all(
        *(
            select(UserSession.id).where(UserSession.ended_at.is_(None), *scope, *arm)
            for arm in arms
        )
    )
    # Looked for first: usually there is nothing to end, and a page that only read can then end
    # its transaction with COMMIT, keeping psycopg's prepared statements (app/extensions.py).
    if db.session.execute(expired).first() is None:
        return 0
    with write_transaction():  # its own on a page that only reads, else the caller's
        return _end_where(UserSession.id.in_(expired), reason="expired")


def _oldest_open(remember):
    """A lower bound the planner cannot estimate from the whole table's created_at histogram.

    Without it PostgreSQL took "created <= now - 12 h" as true for most open sessions (ended ones
    are old, short live ones are young) and read every open short session by the other index.
    """
    return (
        select(func.min(UserSession.created_at))
        .where(UserSession.ended_at.is_(None), UserSession.remember == remember)
        .scalar_subquery()
    )


def live_for(user: User) -> list[UserSession]:
    sweep(user)
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        )
    )
