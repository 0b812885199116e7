"""How values read in pages: devices from user agents, times relative to now, counted nouns.

Registered as template filters by `init_app`; templates use them as `{{ ua | device }}`,
`{{ when | ago }}` (with `{{ when | datetime }}` as the exact UTC time on hover, see the
`time` macro in templates/_macros/tables.html) and `{{ n | counted("session") }}`.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import Flask
from ua_parser import parse

from app.extensions import utcnow


@functools.lru_cache(maxsize=4096)
def device(user_agent: str | None) -> str:
    """ "Firefox 120 on Linux" from a User-Agent header; "Unknown device" when it says nothing."""
    if not user_agent:
        return "Unknown device"
    found = parse(user_agent)
    agent = found.user_agent
    name = agent.family if agent else ""
    if agent and agent.major and name != "Other":
        name = f"{name} {agent.major}"
    system = found.os.family if found.os and found.os.family != "Other" else ""
    if not name or name == "Other":
        return f"Unknown browser on {system}" if system else "Unknown device"
    return f"{name} on {system}" if system else name


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 session", "3 sessions", "0 sessions"."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


_UNITS = (
    (timedelta(days=365), "year"),
    (timedelta(days=30), "month"),
    (timedelta(days=7), "week"),
    (timedelta(days=1), "day"),
    (timedelta(hours=1), "hour"),
    (timedelta(minutes=1), "minute"),
)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """ "3 minutes ago", "in 2 days", "just now"; "never" for None."""
    if value is None:
        return "never"
    delta = (now or utcnow()) - value
    span = abs(delta)
    for unit, name in _UNITS:
        if span >= unit:
            text = counted(int(span / unit), name)
            return f"{text} ago" if delta >= timedelta(0) else f"in {text}"
    return "just now"


def format_datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def init_app(app: Flask) -> None:
    app.add_template_filter(device, "device")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(counted, "counted")
    app.add_template_filter(format_datetime, "datetime")
