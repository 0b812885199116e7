"""Page numbers for tables (admin lists, projects), without loading more than one page of rows."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import request
from sqlalchemy import Select, func, select

from app.extensions import db

PER_PAGE = 50
PER_PAGE_RANGE = (10, 100)


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None  # None where counting every row would cost more than the page

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + 1


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default


def requested() -> tuple[int, int]:
    """(page, per_page) from the query string, clamped to what the tables allow."""
    low, high = PER_PAGE_RANGE
    page = max(1, min(_int_arg("page", 1), 10**6))
    return page, max(low, min(_int_arg("per_page", PER_PAGE), high))


def fetch(query: Select, page: int, per_page: int, *, scalars: bool = True) -> tuple[list, bool]:
    """One page of `query` and whether another follows (one row more is asked for)."""
    limited = query.limit(per_page + 1).offset((page - 1) * per_page)
    result = db.session.execute(limited)
    rows = list(result.scalars() if scalars else result)
    return rows[:per_page], len(rows) > per_page


def count(query: Select) -> int:
    return db.session.scalars(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).one()
