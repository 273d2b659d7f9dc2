"""Reading an uploaded who-has-what CSV back as the values people want, row by row.

The file is one the portal wrote (an export, a template, the coverage gaps), edited
offline. Its header names the columns (README, "The who-has-what format"):

- `objectId` (required), `objectType` (`user` or `servicePrincipal`; when absent an id is
  looked up among users, then service principals);
- `kind`, `displayName`, `principalName`: the export's, for people; they are not read;
- one column per attribute, `Set/Attribute`, matched without regard to case as Graph does.

An attribute column present in the file says what each object should hold: the cell's
value, or no value when the cell is empty, which is how an exported file changes only
what was edited. A column left out leaves that attribute alone. Cells are un-guarded
first (the export puts a `'` before formula-like text), multi-valued cells are split at
each unescaped `;`, and every value is checked by the rules every assignment keeps
(attributes.assignment_rules). Whether each object exists, and what it holds now, the dry
run reads from Graph (attributes.bulk.plan).

Each problem names its line (the header is line 1, as an editor numbers them) and column;
a file that cannot be read at all is refused with one message, and nothing of it is kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from attributes import assignment_rules
from attributes.directory import Definition
from attributes.export import FIXED_COLUMNS, split_values
from attributes.objects import Value
from attributes.spreadsheet import unguard

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
COLLECTIONS = {"user": "users", "servicePrincipal": "servicePrincipals"}
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str  # the column's header; "" for the whole row
    message: str


@dataclass(frozen=True)
class Wanted:
    line: int
    object_id: str
    collection: str | None  # from objectType; None when the file has no such column
    definition: Definition
    value: Value | None  # None: the object should hold no value


@dataclass
class Upload:
    columns: list[Definition] = field(default_factory=list)
    wanted: list[Wanted] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    file_problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_problem and not self.problems


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def read_upload(
    data: bytes,
    definitions: Sequence[Definition],
    *,
    assignable: Callable[[Definition], bool],
    why_not: Callable[[Definition], str],
) -> Upload:
    """The uploaded file as wanted values, with every problem found in it."""
    text, problem = _decoded(data)
    if problem:
        return Upload(file_problem=problem)
    try:
        records = _records(text)
    except csv.Error as error:
        return Upload(file_problem=f"The file is not valid CSV: {error}.")
    if not records:
        return Upload(file_problem="The file is empty: it needs a header row and a row per object.")
    (_, header), rows = records[0], records[1:]
    if len(rows) > MAX_ROWS:
        return Upload(
            file_problem=f"The file has {len(rows):,} rows; at most {MAX_ROWS:,} can be uploaded "
            "at once. Split it into several files."
        )
    upload = Upload(rows=len(rows))
    columns = _columns(header, definitions, assignable, why_not, upload)
    if upload.file_problem:
        return upload
    for line, cells in rows:
        if len(cells) > len(header):
            return Upload(
                file_problem=f"Line {line} has {len(cells)} cells but the header has "
                f"{len(header)}: a value with a comma must be in double quotes."
            )
    _read_rows(rows, header, columns, upload)
    return upload


def _decoded(data: bytes) -> tuple[str, str]:
    if not data.strip():
        return "", "The file is empty: it needs a header row and a row per object."
    if len(data) > MAX_UPLOAD_BYTES:
        size = len(data) / 2**20
        return "", (
            f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB"
            f"{f' ({size:.1f} MB)' if len(data) <= MAX_UPLOAD_BYTES * 2 else ''}: split it "
            "into several files."
        )
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return "", (
            f"The file is not UTF-8 (line {line} holds a byte that UTF-8 does not allow). Save "
            "it as UTF-8; in Excel choose “CSV UTF-8 (comma delimited)”."
        )


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on (a quoted cell can hold breaks)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        if any(cell.strip() for cell in cells):
            records.append((start, cells))


def _columns(
    header: list[str],
    definitions: Sequence[Definition],
    assignable: Callable[[Definition], bool],
    why_not: Callable[[Definition], str],
    upload: Upload,
) -> dict[int, Definition]:
    """The attribute columns by position; file problems go onto `upload`."""
    names = [name.strip() for name in header]
    if "objectId" not in names:
        upload.file_problem = "The file has no objectId column: the header must name it."
        return {}
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        upload.file_problem = f"The header names {', '.join(map(repr, duplicates))} more than once."
        return {}
    by_key = {d.key: d for d in definitions}
    columns: dict[int, Definition] = {}
    for index, name in enumerate(names):
        if name in FIXED_COLUMNS:
            continue
        set_name, slash, attribute = name.partition("/")
        if not slash:
            upload.file_problem = (
                f"Unknown column {name!r} (line 1): attribute columns are named Set/Attribute, "
                "e.g. Engineering/Project."
            )
            return {}
        definition = by_key.get((set_name.casefold(), attribute.casefold()))
        if definition is None:
            upload.problems.append(
                Problem(1, name, f"No attribute {name} exists that you can read.")
            )
        elif not assignable(definition):
            upload.problems.append(Problem(1, name, why_not(definition)))
        else:
            columns[index] = definition
    if not columns and not upload.problems:
        upload.file_problem = (
            "The file has no attribute column, so there is nothing to change: add a column "
            "named Set/Attribute."
        )
    upload.columns = list(columns.values())
    return columns


def _read_rows(
    rows: list[tuple[int, list[str]]],
    header: list[str],
    columns: dict[int, Definition],
    upload: Upload,
) -> None:
    names = [name.strip() for name in header]
    id_at = names.index("objectId")
    type_at = names.index("objectType") if "objectType" in names else None
    seen: dict[str, tuple[int, list[Wanted]]] = {}
    conflicting: set[str] = set()
    for line, cells in rows:
        cells = cells + [""] * (len(header) - len(cells))
        object_id = cells[id_at].strip().lower()
        if not _GUID.match(object_id):
            upload.problems.append(
                Problem(line, "objectId", f"{_shown(cells[id_at])} is not an object id (a GUID).")
            )
            continue
        collection = None
        if type_at is not None:
            collection = COLLECTIONS.get(cells[type_at].strip())
            if collection is None:
                upload.problems.append(
                    Problem(
                        line,
                        "objectType",
                        f"{_shown(cells[type_at])} is not an object type: write user or "
                        "servicePrincipal.",
                    )
                )
                continue
        wanted = _row_values(line, object_id, collection, cells, columns, header, upload)
        if wanted is None:
            continue
        if object_id in seen:
            first_line, first = seen[object_id]
            if [w.value for w in first] == [w.value for w in wanted]:
                upload.problems.append(
                    Problem(
                        line,
                        "objectId",
                        f"Line {line} repeats line {first_line} for this object; remove one.",
                    )
                )
            else:
                message = (
                    f"Lines {first_line} and {line} both set values for object {object_id}, "
                    "differently; keep one."
                )
                upload.problems.append(Problem(first_line, "objectId", message))
                upload.problems.append(Problem(line, "objectId", message))
                conflicting.add(object_id)
            continue
        seen[object_id] = (line, wanted)
    upload.wanted = [
        w for object_id, (_, row) in seen.items() if object_id not in conflicting for w in row
    ]
    upload.problems.sort(key=lambda p: p.line)


def _row_values(
    line: int,
    object_id: str,
    collection: str | None,
    cells: list[str],
    columns: dict[int, Definition],
    header: list[str],
    upload: Upload,
) -> list[Wanted] | None:
    """The row's wanted values, or None when a cell broke a rule (reported)."""
    wanted, broken = [], False
    for index, definition in columns.items():
        texts = _texts(definition, unguard(cells[index]))
        # Predefined values are checked against all of them here: an object may keep a
        # deactivated one it holds, which only the dry run, reading the object, can tell.
        every = [v.id for v in definition.allowed_values]
        problems = assignment_rules.value_problems(definition, texts, every)
        if problems:
            upload.problems.append(Problem(line, header[index].strip(), " ".join(problems)))
            broken = True
            continue
        value = assignment_rules.typed(definition, texts)
        wanted.append(Wanted(line, object_id, collection, definition, value))
    return None if broken else wanted


def _texts(definition: Definition, cell: str) -> list[str]:
    if cell == "":
        return []
    if definition.type == "Boolean":
        return [cell.strip().lower()]
    if definition.is_collection:
        return split_values(cell)
    return [cell]
