"""Tab-separated exports, written the way the csv module reads them back."""
from __future__ import annotations

import csv
from collections.abc import Iterable

from flask import Response, stream_with_context


class _Line:
    def write(self, text: str) -> str:
        return text


def _clean(value) -> str:
    # A tab or newline inside a value would shift the columns of a spreadsheet.
    text = "" if value is None else str(value)
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def tsv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    writer = csv.writer(_Line(), delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_clean(v) for v in row])

    response = Response(stream_with_context(lines()),
                        mimetype="text/tab-separated-values")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def text_error(message: str, status: int = 400) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")
