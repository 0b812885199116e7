"""Tab-separated exports, written the way the csv module reads them back.

Every cell goes through `tsv_cell`, so text planted by anyone (a failed sign-in's name, a
User-Agent) opens in a spreadsheet as text, never as a formula (OWASP, CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from flask import Response

# OWASP's list: a cell starting with one of these is read as a formula by some spreadsheet.
FORMULA_STARTS = frozenset("=+-@\t\r\n")
LINE_BREAKS = str.maketrans({"\t": " ", "\r": " ", "\n": " "})
CHUNK = 64 * 1024  # characters sent at a time: one write per chunk, not one per row


def tsv_cell(value: Any) -> str:
    """One cell: numbers stay numbers (a negative count is still a number); text that a
    spreadsheet would run as a formula, also behind leading spaces, gets a leading single
    quote, and tabs and line breaks inside it become spaces, so no value can add a column or
    a row. (Called for every cell of a million-row export: kept cheap.)"""
    if value is None:
        return ""
    if type(value) is str:
        text = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    else:
        text = str(value)
    if text and (text[0] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS):
        text = "'" + text
    if "\t" in text or "\r" in text or "\n" in text:
        text = text.translate(LINE_BREAKS)
    return text


def _chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([tsv_cell(v) for v in header])
    for row in rows:
        writer.writerow([tsv_cell(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def tsv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response:
    """A download streamed as `rows` yields. The rows must not need the request's database
    session: it is closed before the body is sent (see admin.audit_log.export_rows)."""
    response = Response(_chunks(header, rows), mimetype="text/tab-separated-values")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def text_error(message: str, status: int = 400) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
