"""Per-day figures from the audit log, aggregated by the database, and their chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db, utcnow
from app.models import AuditEvent, DailyStat
from app.transactions import write_transaction


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    actions: tuple[str, ...]
    distinct_actors: bool = False


COLUMNS = (
    Column("signups", "Sign-ups", ("signup",)),
    Column("logins", "Sign-ins", ("login.ok",)),
    Column("failed_logins", "Failed sign-ins", ("login.failed",)),
    Column("recoveries", "Recoveries", ("recovery.ok",)),
    Column("active_users", "Active users", ("login.ok", "session.active"), distinct_actors=True),
    Column("new_orgs", "New organizations", ("org.created",)),
    Column("new_projects", "New projects", ("project.created",)),
    Column("new_subscriptions", "New subscriptions", ("subscription.created",)),
    Column("cancelled_subscriptions", "Cancelled subscriptions", ("subscription.cancelled",)),
)
HEADER = ("Date", *(c.label for c in COLUMNS))
CHARTED = ("logins", "failed_logins", "active_users", "signups")  # on the chart by default
# One colour per measure, told apart also by people with the common colour-vision deficiencies
# (Okabe-Ito, then darker tones), each at least 3:1 against the white page.
COLOURS = {
    "signups": "#c15f00",
    "logins": "#0072b2",
    "failed_logins": "#c0392b",
    "recoveries": "#8e44ad",
    "active_users": "#007a5e",
    "new_orgs": "#8a6d00",
    "new_projects": "#3d5a80",
    "new_subscriptions": "#b03a7a",
    "cancelled_subscriptions": "#555555",
}


def measures(chosen: list[str]) -> tuple[str, ...]:
    """The measures asked for (`measure=` in the URL, in table order), or the default four."""
    keys = tuple(c.key for c in COLUMNS if c.key in chosen)
    return keys or CHARTED


@dataclass(frozen=True)
class Day:
    day: date
    values: tuple[int, ...]

    def get(self, key: str) -> int:
        return self.values[[c.key for c in COLUMNS].index(key)]


def _aggregate(column: Column):
    if column.distinct_actors:
        return func.count(distinct(AuditEvent.actor_id)).filter(
            AuditEvent.action.in_(column.actions)
        )
    if len(column.actions) == 1:
        return func.count().filter(AuditEvent.action == column.actions[0])
    return func.count().filter(AuditEvent.action.in_(column.actions))


def _counted(days: list[date]) -> dict[date, tuple[int, ...]]:
    """These days counted from the audit log in one grouped query over the `day` index."""
    if not days:
        return {}
    actions = sorted({a for c in COLUMNS for a in c.actions})
    low, high = min(days), max(days)
    query = (
        select(AuditEvent.day, *(_aggregate(c) for c in COLUMNS))
        .where(AuditEvent.day.between(low, high), AuditEvent.action.in_(actions))
        .group_by(AuditEvent.day)
    )
    if len(days) != (high - low).days + 1:  # gaps: skip the days already stored
        query = query.where(AuditEvent.day.in_(days))
    found = {row[0]: tuple(int(v) for v in row[1:]) for row in db.session.execute(query)}
    zeros = (0,) * len(COLUMNS)
    return {d: found.get(d, zeros) for d in days}


def _stored(start: date, end: date) -> dict[date, tuple[int, ...]]:
    """The stored days of this range that have every metric (a metric added later is counted)."""
    values: dict[date, dict[str, int]] = {}
    for day, metric, value in db.session.execute(
        select(DailyStat.day, DailyStat.metric, DailyStat.value).where(
            DailyStat.day.between(start, end)
        )
    ):
        values.setdefault(day, {})[metric] = value
    return {
        day: tuple(found[c.key] for c in COLUMNS)
        for day, found in values.items()
        if all(c.key in found for c in COLUMNS)
    }


def _store(computed: dict[date, tuple[int, ...]]) -> None:
    """Insert these days in a transaction of their own; a day another request stored first
    is skipped (same values: both counted the same closed day)."""
    rows = [
        {"day": day, "metric": c.key, "value": v}
        for day, values in computed.items()
        for c, v in zip(COLUMNS, values, strict=True)
    ]
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[db.engine.dialect.name]
    with write_transaction():
        db.session.execute(dialect.insert(DailyStat).on_conflict_do_nothing(), rows)


def per_day(start: date, end: date) -> list[Day]:
    """Every day from start to end, zeros included, counted in SQL.

    Days before yesterday (UTC) are counted once and then read from `daily_stats`; yesterday and
    today are always counted live, as an event of yesterday may still be committing after midnight.
    Exact because audit.record only ever writes the current UTC day, so a closed day never changes.
    """
    span = [start + timedelta(n) for n in range((end - start).days + 1)]
    last_closed = utcnow().date() - timedelta(days=2)
    stored = _stored(start, min(end, last_closed)) if start <= last_closed else {}
    missing = [d for d in span if d <= last_closed and d not in stored]
    counted = _counted(missing + [d for d in span if d > last_closed])
    if missing:
        _store({d: counted[d] for d in missing})
    return [Day(d, stored[d] if d in stored else counted[d]) for d in span]


def totals(days: list[Day]) -> tuple[int, ...]:
    """Column sums; "active users" is summed per day too, so it reads as user-days."""
    return tuple(sum(d.values[i] for d in days) for i in range(len(COLUMNS)))


def table_rows(days: list[Day]) -> list[tuple]:
    return [(d.day.isoformat(), *d.values) for d in days]


# --- chart ----------------------------------------------------------------------------------

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str  # shown on hover: "Sign-ins on 2026-03-01: 3"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    points: str  # for <polyline points="…">
    dots: list[Point]


@dataclass(frozen=True)
class Band:
    """The full-height strip of one day: hovering anywhere over it shows that day's values."""

    x: float
    width: float
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    series: list[Series]
    maximum: int
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    plot: tuple[int, int, int, int]  # left, top, right, bottom
    bands: list[Band]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000):
        if value <= step * 4:
            return step * 4
    return -(-value // 10000) * 10000


# Dots on every point up to this many days; beyond, the day strips alone carry the values.
MAX_DOTTED_DAYS = 92


def chart(days: list[Day], keys: tuple[str, ...] = CHARTED) -> Chart:
    """Coordinates computed here so the template only draws: SVG, no script."""
    labels = {c.key: c.label for c in COLUMNS}
    top_value = _nice_max(max([d.get(k) for d in days for k in keys] + [1]))
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    step = (right - LEFT) / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step if len(days) > 1 else (LEFT + right) / 2, 1)

    def y(v: int) -> float:
        return round(bottom - v * (bottom - TOP) / top_value, 1)

    dotted = len(days) <= MAX_DOTTED_DAYS
    series = [
        Series(
            key,
            labels[key],
            COLOURS[key],
            " ".join(f"{x(i)},{y(d.get(key))}" for i, d in enumerate(days)),
            [  # zeros lie on the axis, where every series would stack its dots
                Point(x(i), y(d.get(key)), f"{labels[key]} on {d.day}: {d.get(key):,}")
                for i, d in enumerate(days)
                if d.get(key)
            ]
            if dotted
            else [],
        )
        for key in keys
    ]
    width = step if len(days) > 1 else right - LEFT
    bands = [
        Band(
            round(max(LEFT, x(i) - width / 2), 1),
            round(min(right, x(i) + width / 2) - max(LEFT, x(i) - width / 2), 1),
            f"{d.day}: " + ", ".join(f"{labels[k]} {d.get(k):,}" for k in keys),
        )
        for i, d in enumerate(days)
    ]
    every = max(1, len(days) // 6)
    x_labels = [(x(i), d.day.isoformat()) for i, d in enumerate(days) if i % every == 0]
    y_ticks = [
        (y(v), v) for v in (0, top_value // 4, top_value // 2, 3 * top_value // 4, top_value)
    ]
    plot = (LEFT, TOP, right, bottom)
    return Chart(WIDTH, HEIGHT, series, top_value, x_labels, y_ticks, plot, bands)
