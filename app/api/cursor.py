"""Cursor paging (keyset): a page ends at a row, the next begins after it, whatever was added
or removed meanwhile. A cursor is the last row's sort value and id, in URL-safe base64 JSON;
it says nothing a caller could not see in the page itself."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from app.api.common import BadRequest


def encode(sort: str, value: Any, row_id: int) -> str:
    raw = json.dumps([sort, value, row_id], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, sort: str) -> tuple[Any, int]:
    """The (value, id) the page begins after; BadRequest for anything not made by `encode`
    for this sort order."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found_sort, value, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadRequest("This cursor is not one the API gave out.", field="cursor") from None
    if found_sort != sort or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise BadRequest("This cursor belongs to another sort order.", field="cursor")
    if value is not None and not isinstance(value, str):
        raise BadRequest("This cursor is not one the API gave out.", field="cursor")
    return value, row_id


def decode_time(cursor: str, sort: str) -> tuple[datetime, int]:
    """`decode` for a time-ordered sort: the time in UTC. A hand-made time that is not one, or
    one past the calendar's end once in UTC (9999-12-31T23:59-14:00), is the caller's mistake."""
    value, row_id = decode(cursor, sort)
    try:
        return datetime.fromisoformat(value or "").astimezone(UTC), row_id
    except (ValueError, OverflowError):
        raise BadRequest("This cursor is not one the API gave out.", field="cursor") from None
