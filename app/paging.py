"""Page numbers for tables (admin lists, projects), without loading more than one page of rows.

A table shows "51–100 of 100,000": its total comes from the caller when it has a cheap exact one
(a counter kept by triggers, a sum of counters), otherwise from `bounded_count`, which stops
counting a little past the page shown, so a million-row table costs no more than a few
thousand index entries per view. A page past the end shows the last page instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import request
from sqlalchemy import Select, func, literal, select

from app.extensions import db

PER_PAGE = 50
PER_PAGE_RANGE = (10, 100)
PER_PAGE_CHOICES = (25, 50, 100)  # offered under each admin table; any value in range works
COUNT_STEP = 10_000  # a bounded count stops at the next multiple of this past the page shown
MAX_PAGE = 10**6


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    has_next: bool
    total: int | None = None  # None where even a bounded count would cost more than the page
    exact: bool = True  # False: `total` is a lower bound ("more than 20,000")

    @property
    def pages(self) -> int | None:
        """The number of pages, when the total is known exactly."""
        if self.total is None or not self.exact:
            return None
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1

    @property
    def numbers(self) -> list[int | None]:
        """Page numbers to link, None for a gap: 1 … 4 5 [6] 7 8 … 2000."""
        known = self.pages
        if known is None:  # the last page is unknown: as far as the rows are known to go
            counted = ceil(self.total / self.per_page) if self.total else 0
            known = max(self.number + (1 if self.has_next else 0), counted)
        shown = {1, known, *range(self.number - 2, self.number + 3)}
        numbers: list[int | None] = []
        for n in sorted(n for n in shown if 1 <= n <= known):
            if numbers and n - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(n)
        if self.pages is None and self.has_next:
            numbers.append(None)  # more pages beyond what was counted
        return numbers


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default


def requested() -> tuple[int, int]:
    """(page, per_page) from the query string, clamped to what the tables allow."""
    low, high = PER_PAGE_RANGE
    page = max(1, min(_int_arg("page", 1), MAX_PAGE))
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


def bounded_count(query: Select, page: int, per_page: int) -> tuple[int, bool]:
    """(rows, exact): rows of `query` counted up to the next multiple of COUNT_STEP past the
    page asked for; exact is False when there are more than that."""
    bound = ((page - 1) * per_page // COUNT_STEP + 1) * COUNT_STEP
    found = db.session.scalars(
        select(func.count()).select_from(
            query.with_only_columns(literal(1), maintain_column_froms=True)
            .order_by(None)
            .limit(bound + 1)
            .subquery()
        )
    ).one()
    return (found, True) if found <= bound else (bound, False)


def last_page(total: int, per_page: int) -> int:
    return max(1, ceil(total / per_page))


def within(page: int, per_page: int, total: int, exact: bool = True) -> int:
    """The page to show: the one asked for, or the last one when that is past the end."""
    return min(page, last_page(total, per_page)) if exact else page


def paginate(
    query: Select,
    page: int,
    per_page: int,
    *,
    total: int | None = None,
    counted: Select | None = None,
    scalars: bool = True,
) -> Page:
    """A page of `query` with its total, in two queries whatever the page size. `total`, when the
    caller has an exact one for free, saves the bounded count; `counted` is a cheaper query with
    the same rows to count (without the joins that only add columns)."""
    exact = True
    if total is None:
        total, exact = bounded_count(query if counted is None else counted, page, per_page)
    page = within(page, per_page, total, exact)
    items, has_next = fetch(query, page, per_page, scalars=scalars)
    return Page(items, page, per_page, has_next, total, exact)
