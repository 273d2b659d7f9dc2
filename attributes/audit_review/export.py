"""Exports: every record with every field, streamed with flat memory, CSV and JSON.

Exports walk the list's keyset oldest first, 2,000 rows at a time, so one chunk is alive
at a time whatever the size. CSV cells are guarded against formula injection
(attributes.spreadsheet). The hashes are included, so an archive can be re-verified."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from attributes.audit_review.paging import OLDEST_FIRST, newer_than
from attributes.models import AuditRecord
from attributes.spreadsheet import csv_lines, guard, json_lines

EXPORT_CHUNK = 2000

# Every field, in the model's order: an export is a complete copy that audit tooling
# can re-verify (the hashes are included).
EXPORT_FIELDS = tuple(field.attname for field in AuditRecord._meta.concrete_fields)


def export_rows(
    records: QuerySet[AuditRecord], *, chunk: int = EXPORT_CHUNK
) -> Iterator[list[Any]]:
    """Every record as a list of EXPORT_FIELDS, oldest first, `chunk` rows per query.

    Memory stays flat whatever the size: one chunk of tuples is alive at a time, and
    each query starts where the previous one ended (keyset) instead of skipping rows.
    Times come as ISO 8601 text, `before` and `after` as compact JSON text (None for
    SQL NULL), ready for either format.
    """
    columns = [_JSON_TEXT.get(name, name) for name in EXPORT_FIELDS]
    query = records.annotate(
        **{alias: Cast(name, TextField()) for name, alias in _JSON_TEXT.items()}
    ).order_by(*OLDEST_FIRST)
    compact = _CompactJson()
    position: tuple[datetime, int] | None = None
    while True:
        page = query if position is None else newer_than(query, *position)
        batch = list(page.values_list(*columns)[:chunk])
        for row in batch:
            cells = list(row)
            for index in _TIMES:
                if cells[index] is not None:
                    # Aware datetimes in UTC (USE_TZ); isoformat keeps the offset.
                    cells[index] = cells[index].isoformat()
            cells[_BEFORE] = compact(cells[_BEFORE])
            cells[_AFTER] = compact(cells[_AFTER])
            yield cells
        if len(batch) < chunk:
            return
        last = batch[-1]
        position = (last[1], last[0])


# The JSON columns are read as the database's text, so rows skip the JSONField's decoding;
# the text becomes compact JSON through a small cache, since before/after values repeat.
_JSON_TEXT = {"before": "before_json", "after": "after_json"}
_BEFORE, _AFTER = (EXPORT_FIELDS.index(name) for name in ("before", "after"))
_TIMES = tuple(EXPORT_FIELDS.index(name) for name in ("created_at", "completed_at"))
_compact = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


class _CompactJson:
    """Database JSON text → compact JSON text, remembering up to `size` recent answers."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.known: dict[str, str] = {}

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        answer = self.known.get(text)
        if answer is None:
            if len(self.known) >= self.size:
                self.known.clear()
            answer = self.known[text] = _compact(json.loads(text))
        return answer


_TEXTS = tuple(
    index
    for index, name in enumerate(EXPORT_FIELDS)
    if name not in ("seq", "created_at", "completed_at")
)
_plain = json.JSONEncoder(ensure_ascii=False).encode


def csv_cells(cells: list[Any]) -> list[Any]:
    """An export row as CSV cells, every text guarded (in place, for speed)."""
    for index in _TEXTS:
        if text := cells[index]:
            cells[index] = guard(text)
    return cells


def csv_stream(records: QuerySet[AuditRecord], *, batch: int = 500) -> Iterator[str]:
    return csv_lines(EXPORT_FIELDS, (csv_cells(row) for row in export_rows(records)), batch=batch)


_PLAIN_FIELDS = tuple(name for name in EXPORT_FIELDS if name not in _JSON_TEXT)
_PLAIN_POSITIONS = tuple(EXPORT_FIELDS.index(name) for name in _PLAIN_FIELDS)


def _json_object(cells: list[Any]) -> str:
    # The JSON columns are already JSON text: spliced in, not encoded twice.
    head = _plain({name: cells[i] for name, i in zip(_PLAIN_FIELDS, _PLAIN_POSITIONS, strict=True)})
    before, after = cells[_BEFORE] or "null", cells[_AFTER] or "null"
    return f'{head[:-1]},"before":{before},"after":{after}}}'


def json_stream(records: QuerySet[AuditRecord], *, batch: int = 500) -> Iterator[str]:
    """A JSON array, one object per record, written as it is read (valid even if empty)."""
    return json_lines((_json_object(row) for row in export_rows(records)), batch=batch)


def export_filename(extension: str, *, today: date | None = None) -> str:
    return f"audit-log-{(today or datetime.now(UTC).date()).isoformat()}.{extension}"


# Retention, shown on the list page (the README carries the longer text).
RETENTION_NOTE = (
    "Records are kept until someone removes them from the database: the portal never "
    "deletes any. Exports (CSV or JSON, with every field and hash) are how records leave."
)
