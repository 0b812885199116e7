"""Row ids taken from URLs, query strings and forms.

Ids are INTEGER columns on every backend: a number past that range names no row, and binding it
would fail in the driver, so it is "not found" like any other unknown id.
"""

from __future__ import annotations

from flask import abort
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: numbers past MAX_ID do not match, so the answer is 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def id_or_404(value) -> int | None:
    """None for a missing or non-numeric value; 404 for a number no row can have."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        return None
    number = int(text)
    if not 0 < number <= MAX_ID:
        abort(404)
    return number
