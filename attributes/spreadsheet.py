"""CSV that spreadsheet programs open safely, and JSON arrays, streamed line by line.

A cell that starts with =, +, -, @, a tab or a carriage return would be evaluated as a
formula by Excel, LibreOffice or Google Sheets (CSV injection), so it gets a leading
single quote, which those programs show as text. So does a cell that starts with a
quote, so that `unguard` can always undo `guard` exactly: files the portal writes can be
edited and read back (the bulk import) without changing a single value. Every CSV the
portal writes goes through `guard`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r")
_GUARDED_STARTS = FORMULA_STARTS | {"'"}


def guard(text: str) -> str:
    """A cell a spreadsheet will not evaluate: formula-like text gets a leading '."""
    return "'" + text if text and text[0] in _GUARDED_STARTS else text


def unguard(text: str) -> str:
    """The cell as it was before `guard`."""
    return text[1:] if text.startswith("'") else text


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 500
) -> Iterator[str]:
    """The header and the rows as CSV text, `batch` lines per chunk, for a streaming
    response. Callers guard the cells; the byte-order mark makes spreadsheet programs
    read the file as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([guard(name) for name in header])
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) >= batch:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def json_lines(objects: Iterable[str], *, batch: int = 500) -> Iterator[str]:
    """Already encoded JSON objects as one JSON array, an object per line and `batch`
    objects per chunk, for a streaming response; valid even when there are none."""
    yield "["
    separator = "\n"
    items: list[str] = []
    for encoded in objects:
        items.append(separator + encoded)
        separator = ",\n"
        if len(items) >= batch:
            yield "".join(items)
            items = []
    items.append("\n]\n")
    yield "".join(items)
