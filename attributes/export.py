"""Who has what: objects with their values, one row per object and one column per attribute.

The format is the one the bulk import reads (README, "The who-has-what format"):

- Columns: `objectId`, `objectType` (`user` or `servicePrincipal`), `kind`, `displayName`,
  `principalName` (a user's UPN, a service principal's app id), then one column per
  attribute, named `Set/Attribute` (names cannot hold "/").
- A cell is empty when the object holds no value. One value is written as it is (`true`
  or `false`, a decimal integer, the text); several are joined with `;`, and a `;` or `\\`
  inside a value is written `\\;` or `\\\\`, so every value splits back exactly.
- CSV is UTF-8 with a byte-order mark; every cell is guarded against formula injection
  (attributes.spreadsheet), which the import undoes.
- JSON is an array of objects with the same keys; values keep their types (text, number,
  true/false, a list for a multi-valued attribute) and an attribute without a value is
  left out.

Rows are read from Graph 999 at a time with `$select` of exactly these columns, and each
page is fetched while the previous one is written (GraphClient.pages), so the export
costs about the page count times Graph's latency and holds at most three pages in memory
whatever its size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from attributes import objects
from attributes.directory import Definition
from attributes.objects import DirectoryObject, Tab, Value
from attributes.spreadsheet import csv_lines, guard, json_lines
from portal.graph import EVENTUAL, GraphClient

FIXED_COLUMNS = ("objectId", "objectType", "kind", "displayName", "principalName")
PAGE = 999
SEPARATOR = ";"


def column_name(definition: Definition) -> str:
    return f"{definition.attribute_set}/{definition.name}"


def join_values(values: Sequence[object]) -> str:
    """Several values in one cell: `;` between them, `\\` before a `;` or `\\` inside one."""
    return SEPARATOR.join(
        _text(v).replace("\\", "\\\\").replace(SEPARATOR, "\\" + SEPARATOR) for v in values
    )


def split_values(cell: str) -> list[str]:
    """The values `join_values` wrote, exactly."""
    values, current, escaped = [], [], False
    for char in cell:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == SEPARATOR:
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    values.append("".join(current))
    return values


def _text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


@dataclass(frozen=True)
class Scope:
    """Which objects an export lists, and which attributes it shows."""

    tabs: tuple[Tab, ...]
    columns: tuple[Definition, ...]
    # A find-by-value filter; None for every object of the tabs.
    filter: str | None = None
    # Only objects that hold a value in this set (an export of one attribute set).
    holders_of: str | None = None
    name: str = "objects"
    page_size: int = PAGE

    def requests(self) -> Iterator[tuple[Tab, dict[str, str], dict[str, str]]]:
        for tab in self.tabs:
            params = {
                "$top": str(self.page_size),
                "$select": objects.fields(tab.collection, values=True),
            }
            clauses = [c for c in (f"({self.filter})" if self.filter else "", tab.filter) if c]
            headers: dict[str, str] = {}
            if clauses:
                params["$filter"] = " and ".join(clauses)
            if self.filter:
                # Filters on values are advanced queries (graph-api.md §2.3).
                params["$count"] = "true"
                headers = dict(EVENTUAL)
            yield tab, params, headers


def exported_objects(graph: GraphClient, scope: Scope) -> Iterator[DirectoryObject]:
    """Every object in scope, page by page, the next page on its way while this one is used."""
    for tab, params, headers in scope.requests():
        for page in graph.pages(tab.path, params=params, headers=headers):
            for item in page.items:
                found = DirectoryObject.from_graph(item, tab.collection)
                if scope.holders_of is None or _holds_in(found, scope.holders_of):
                    yield found


def _holds_in(found: DirectoryObject, attribute_set: str) -> bool:
    return any(name.casefold() == attribute_set.casefold() for name in found.values)


def _fixed(found: DirectoryObject) -> list[str]:
    principal = found.user_principal_name or found.app_id
    return [found.id, found.target_type.value, found.kind.value, found.display_name, principal]


def cell(value: Value | None) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value
    return join_values(value) if isinstance(value, list) else _text(value)


def header(scope: Scope) -> list[str]:
    return [*FIXED_COLUMNS, *(column_name(d) for d in scope.columns)]


def csv_rows(
    found: Iterable[DirectoryObject], columns: Sequence[Definition]
) -> Iterator[list[str]]:
    keys = [d.key for d in columns]
    for target in found:
        cells = _fixed(target)
        cells += [cell(v) for v in target.values_of(keys)]
        # Most cells are empty: only text needs the guard.
        yield [guard(cell) if cell else cell for cell in cells]


def csv_stream(graph: GraphClient, scope: Scope, *, batch: int = 500) -> Iterator[str]:
    rows = csv_rows(exported_objects(graph, scope), scope.columns)
    return csv_lines(header(scope), rows, batch=batch)


def json_stream(graph: GraphClient, scope: Scope, *, batch: int = 200) -> Iterator[str]:
    """A JSON array, one object per row, written as Graph's pages arrive."""
    return json_lines(_json_objects(exported_objects(graph, scope), scope.columns), batch=batch)


def _json_objects(found: Iterable[DirectoryObject], columns: Sequence[Definition]) -> Iterator[str]:
    names = [column_name(d) for d in columns]
    keys = [d.key for d in columns]
    for target in found:
        row: dict[str, Any] = dict(zip(FIXED_COLUMNS, _fixed(target), strict=True))
        for name, value in zip(names, target.values_of(keys), strict=True):
            if value is not None:
                row[name] = value
        yield json.dumps(row, ensure_ascii=False)


def filename(scope: Scope, extension: str) -> str:
    return f"who-has-what-{scope.name}-{datetime.now(UTC).date().isoformat()}.{extension}"
