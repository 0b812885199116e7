"""Read an admin table as a person sees it: the text of each cell, row by row."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._section = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._section == "tbody":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = re.sub(r"\s+", " ", "".join(self._cell)).strip()
            if self._section == "thead":
                self.headers.append(text)
            elif self._section == "tbody":
                self.rows[-1].append(text)
            self._cell = None
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = ""

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_table(html: str) -> tuple[list[str], list[list[str]]]:
    """(header texts, rows of cell texts) of the first table on the page."""
    start = html.index("<table")
    table = _Table()
    table.feed(html[start : html.index("</table>", start)])
    return table.headers, table.rows


def rows_by_first_word(html: str) -> dict[str, dict[str, str]]:
    """Each body row as {header: cell text}, keyed by the first word of its first cell."""
    headers, rows = read_table(html)
    return {row[0].split(" ")[0]: dict(zip(headers, row, strict=False)) for row in rows if row}


def pager_text(html: str) -> str:
    """What the pager says: "51–100 of 121 users"."""
    found = re.search(r'<p class="pager-summary">(.*?)</p>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""
