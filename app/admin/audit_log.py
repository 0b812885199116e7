"""Reads of the audit log: the filtered page and the export of every matching event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, func, or_, select

from app import paging
from app.admin.queries import account_named
from app.extensions import db
from app.models import AuditEvent, Organization
from app.models.user import name_key

EXPORT_BATCH = 1000
EXPORT_COLUMNS = (
    AuditEvent.created_at,
    AuditEvent.actor_name,
    AuditEvent.action,
    AuditEvent.target,
    AuditEvent.ip,
    AuditEvent.user_agent,
    AuditEvent.detail,
)


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None

    def conditions(self) -> list[ColumnElement]:
        found = []
        if self.user:
            account = account_named(self.user)
            if account is not None:
                found.append(
                    or_(AuditEvent.actor_id == account.id, AuditEvent.target_user_id == account.id)
                )
            else:  # a deleted account: its name is still in the log
                key = name_key(self.user)
                found.append(
                    or_(
                        func.lower(AuditEvent.actor_name) == key,
                        func.lower(AuditEvent.target) == key,
                    )
                )
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.start:
            found.append(AuditEvent.day >= self.start)
        if self.end:
            found.append(AuditEvent.day <= self.end)
        return found


def audit_page(filters: AuditFilter, page: int, per_page: int) -> paging.Page:
    """Events newest first, each as (event, slug of its organization or None).

    The total is a bounded count: counting a million-row log exactly on every view would cost
    more than the page itself, so past 10,000 rows it reads "more than 10,000".
    """
    conditions = filters.conditions()
    query = (
        select(AuditEvent, Organization.slug)
        .outerjoin(Organization, Organization.id == AuditEvent.organization_id)
        .where(*conditions)
        .order_by(AuditEvent.id.desc())
    )
    counted = select(AuditEvent.id).where(*conditions)
    return paging.paginate(query, page, per_page, counted=counted, scalars=False)


def export_rows(filters: AuditFilter, batch: int = EXPORT_BATCH) -> Iterator[tuple]:
    """Every matching event as a tuple of EXPORT_COLUMNS, newest first.

    The response is sent after the request's session is closed, so the rows are read on a
    connection of the generator's own, in keyset batches (`id < last id`), each in a short
    transaction: a slow download holds no transaction or pooled connection open between
    batches, and events written meanwhile (higher ids) do not shift the batches. The filter's
    account lookup runs now, inside the request.
    """
    query = select(AuditEvent.id, *EXPORT_COLUMNS).where(*filters.conditions())
    return _batches(db.engine, query.order_by(AuditEvent.id.desc()).limit(batch), batch)


def _batches(engine, query: Select, batch: int) -> Iterator[tuple]:
    last: int | None = None
    while True:
        page = query if last is None else query.where(AuditEvent.id < last)
        with engine.connect() as connection:
            rows = connection.execute(page).all()
        for row in rows:
            yield tuple(row[1:])
        if len(rows) < batch:
            return
        last = rows[-1][0]
