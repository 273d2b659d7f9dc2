"""An uploaded who-has-what CSV (README, "The who-has-what format") read back as the values
people want, every problem at its line and column. Nothing here calls Graph or the
database: the planner then reads what each object holds and whether it exists.

- The header names the columns: `objectId` (required), `objectType` (optional, `user` or
  `servicePrincipal`), `kind`, `displayName` and `principalName` (shown only, ignored),
  then attribute columns named `Set/Attribute` as the export names them, matched without
  regard to case as Graph matches. Any other column, a column without a name or one named
  twice refuses the file. An attribute that does not exist or that the person may not
  assign is a problem at the header, and its column is not read.
- Only the attribute columns present count: an absent one leaves that attribute alone.
  In a present column a cell is the value wanted and an empty cell means no value, so an
  export edited and uploaded changes only what was edited. A row with fewer cells than
  the header ends in empty cells (some spreadsheet programs drop trailing commas).
- A cell is unguarded (attributes.spreadsheet), then a multi-valued attribute's cell is
  split at `;` (export.split_values); a single-valued attribute's cell is one value, `;`
  and all. Booleans are `true` or `false` in any case. Values are checked by
  assignment_rules, except that deactivated predefined values are accepted: an object may
  keep one it holds, and only the planner knows what it holds. For the same reason the
  planner checks deactivated attributes and the 50 values per object.
- `objectId` is a GUID, read in lower case. An object on two rows is a problem on the
  later row if both want the same, and on every row involved if not; then nothing is
  wanted for that object.
- A row with a problem wants nothing; other rows still do, so every problem shows at once.
  Lines are the file's own (header = line 1; blank lines count; a quoted cell may span
  lines, and its row is at the line where it starts). Blank lines, and rows whose cells
  are all empty, are skipped.
- The whole file is refused with one message when it is empty, over 5 MB, not UTF-8 (a
  byte-order mark is fine), not strict CSV, has a row with more cells than the header,
  has no `objectId` or no attribute column, or has over 50,000 rows.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from attributes.assignment_rules import typed, value_problems
from attributes.directory import Definition, attribute_key
from attributes.export import FIXED_COLUMNS, column_name, split_values
from attributes.objects import Value
from attributes.spreadsheet import unguard

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
OBJECT_ID, OBJECT_TYPE = FIXED_COLUMNS[0], FIXED_COLUMNS[1]
COLLECTIONS = {"user": "users", "serviceprincipal": "servicePrincipals"}  # by casefold
SHOWN = 40  # characters of a value from the file that a message repeats

_MB = 1024 * 1024
_FIXED = {name.casefold() for name in FIXED_COLUMNS}
_GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")
_EXAMPLE_ID = "d8fd6d05-1391-5683-a152-f7c0f1ef8043"
_EMPTY = "The file is empty. Download an export or a template, fill it in and upload that."


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: str  # the column's header as the file writes it; "" for the whole row
    message: str


@dataclass(frozen=True, slots=True)
class Wanted:
    line: int
    object_id: str
    collection: str | None  # "users" or "servicePrincipals" from objectType; None if not given
    definition: Definition
    value: Value | None  # None: no value


@dataclass
class Upload:
    columns: list[Definition] = field(default_factory=list)
    wanted: list[Wanted] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0  # data rows read
    file_problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.file_problem and not self.problems


class _Refused(Exception):
    """The whole file is refused; the message says why and what to do."""


@dataclass(frozen=True)
class _Layout:
    line: int
    names: list[str]
    object_id: int
    object_type: int | None
    attributes: list[int]


@dataclass(frozen=True)
class _Column:
    index: int
    header: str
    definition: Definition


@dataclass(frozen=True)
class _Row:
    line: int
    object_id: str  # in lower case; "" when the cell holds no object id
    collection: str | None
    texts: list[list[str]]  # each column's values as typed
    problems: list[Problem]


@dataclass(slots=True)
class _Seen:
    intent: bytes  # _intent of the object's first row
    lines: list[int]
    differ: bool = False


def read_upload(
    data: bytes,
    definitions: Sequence[Definition],
    *,
    assignable: Callable[[Definition], bool],
    why_not: Callable[[Definition], str],
) -> Upload:
    """The values the file wants, its problems, or why the whole file is refused."""
    try:
        return _read(_decoded(data), definitions, assignable, why_not)
    except _Refused as refused:
        return Upload(file_problem=str(refused))


def _read(
    text: str,
    definitions: Sequence[Definition],
    assignable: Callable[[Definition], bool],
    why_not: Callable[[Definition], str],
) -> Upload:
    records = _records(text)
    first = next(records, None)
    if first is None:
        raise _Refused(_EMPTY)
    layout = _layout(*first, definitions)
    columns, problems = _columns(layout, definitions, assignable, why_not)
    upload = Upload(columns=[c.definition for c in columns], problems=problems)
    seen: dict[str, _Seen] = {}
    for line, cells in records:
        upload.rows += 1
        if upload.rows > MAX_ROWS:
            raise _Refused(
                f"The file has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}. "
                "Split it into smaller files and upload each."
            )
        if len(cells) > len(layout.names):
            raise _Refused(
                f"Line {line} has {len(cells)} cells but the header has {len(layout.names)} "
                'columns. Put a cell that holds a comma in double quotes ("a,b"), or remove '
                "the extra cells."
            )
        _keep(upload, seen, _read_row(line, cells, layout, columns), columns)
    _report_duplicates(upload, seen)
    upload.problems.sort(key=lambda p: p.line)
    return upload


def _decoded(data: bytes) -> str:
    if not data:
        raise _Refused(_EMPTY)
    if len(data) > MAX_UPLOAD_BYTES:
        size = math.ceil(len(data) * 10 / _MB) / 10
        raise _Refused(
            f"The file is {size:.1f} MB; the limit is {MAX_UPLOAD_BYTES // _MB} MB. "
            "Split it into smaller files and upload each."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # utf-8-sig counts from after the byte-order mark.
        offset = error.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        line = data.count(b"\n", 0, offset) + 1
        raise _Refused(
            f"The file is not saved as UTF-8: line {line} holds the byte 0x{data[offset]:02X} "
            f"(at byte offset {offset}), which UTF-8 text cannot. Save it as UTF-8 and upload "
            'it again; in Excel, choose the format "CSV UTF-8 (Comma delimited)".'
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row that holds anything, with the line of the file it starts on."""
    # Strict: a stray quote would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _Refused(
                f"The file is not valid CSV in the row that starts at line {line} ({error}). "
                "A cell that holds a comma, a quote or a line break must be in double quotes, "
                'with each quote inside it doubled ("say ""hi""").'
            ) from None
        if any(cells):
            yield line, cells


def _layout(line: int, cells: list[str], definitions: Sequence[Definition]) -> _Layout:
    names = [unguard(cell).strip() for cell in cells]
    folded = [name.casefold() for name in names]
    if "" in names:
        raise _Refused(
            f"Column {names.index('') + 1} of the header (line {line}) has no name. Name it "
            "(e.g. Engineering/Project), or delete the column."
        )
    if repeated := next((n for i, n in enumerate(names) if folded.index(n.casefold()) < i), ""):
        raise _Refused(
            f"The header (line {line}) names the column {_clip(repeated)!r} twice; "
            "delete one of them."
        )
    if unknown := [
        n for n, f in zip(names, folded, strict=True) if f not in _FIXED and "/" not in n
    ]:
        example = column_name(definitions[0]) if definitions else "Engineering/Project"
        raise _Refused(
            f"Unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(_clip(n)) for n in unknown)} (line {line}): attribute columns "
            f"are named Set/Attribute, e.g. {example}."
        )
    if OBJECT_ID.casefold() not in folded:
        raise _Refused(
            f"The file has no {OBJECT_ID} column (line {line}): it says which object each row "
            "is for. Start from an export or a template, which have it."
        )
    attributes = [i for i, name in enumerate(names) if "/" in name]
    if not attributes:
        raise _Refused(
            f"The file has no attribute columns (named Set/Attribute, line {line}), so there "
            "is nothing to change. Start from an export or a template of the attributes."
        )
    object_type = OBJECT_TYPE.casefold()
    return _Layout(
        line=line,
        names=names,
        object_id=folded.index(OBJECT_ID.casefold()),
        object_type=folded.index(object_type) if object_type in folded else None,
        attributes=attributes,
    )


def _columns(
    layout: _Layout,
    definitions: Sequence[Definition],
    assignable: Callable[[Definition], bool],
    why_not: Callable[[Definition], str],
) -> tuple[list[_Column], list[Problem]]:
    """The attribute columns to read, and the problems of those that cannot be."""
    by_key = {d.key: d for d in definitions}
    columns, problems = [], []
    for index in layout.attributes:
        header = layout.names[index]
        set_name, _, name = header.partition("/")
        definition = by_key.get(attribute_key(set_name, name))
        if definition is None:
            message = (
                f"Unknown attribute: the set {_clip(set_name)!r} has no attribute "
                f"{_clip(name)!r}. Check the spelling against an export, or delete the column."
            )
        elif not assignable(definition):
            message = (
                f"You cannot assign attributes in the set {definition.attribute_set}: "
                f"{why_not(definition)}"
            )
        else:
            columns.append(_Column(index, header, definition))
            continue
        problems.append(Problem(layout.line, header, message))
    return columns, problems


def _read_row(line: int, cells: list[str], layout: _Layout, columns: list[_Column]) -> _Row:
    def cell(index: int) -> str:
        return unguard(cells[index]) if index < len(cells) else ""

    problems: list[Problem] = []
    object_id = cell(layout.object_id).strip()
    if id_problem := _object_id_problem(object_id):
        problems.append(Problem(line, layout.names[layout.object_id], id_problem))
    collection = None
    if layout.object_type is not None and (object_type := cell(layout.object_type).strip()):
        collection = COLLECTIONS.get(object_type.casefold())
        if collection is None:
            message = (
                f"{_clip(object_type)!r} is not an object type: write user or "
                "servicePrincipal, or leave the cell empty."
            )
            problems.append(Problem(line, layout.names[layout.object_type], message))
    texts = [_texts(c.definition, cell(c.index)) for c in columns]
    for column, values in zip(columns, texts, strict=True):
        problems += [
            Problem(line, column.header, m) for m in _cell_problems(column.definition, values)
        ]
    return _Row(line, "" if id_problem else object_id.lower(), collection, texts, problems)


def _keep(upload: Upload, seen: dict[str, _Seen], row: _Row, columns: list[_Column]) -> None:
    """The row's problems and, if it has none and its object is new, what it wants."""
    upload.problems += row.problems
    if not row.object_id:
        return
    intent = _intent(row, columns)
    if earlier := seen.get(row.object_id):
        earlier.lines.append(row.line)
        earlier.differ = earlier.differ or intent != earlier.intent
        return
    seen[row.object_id] = _Seen(intent, [row.line])
    if not row.problems:
        upload.wanted += [
            Wanted(row.line, row.object_id, row.collection, c.definition, typed(c.definition, t))
            for c, t in zip(columns, row.texts, strict=True)
        ]


def _object_id_problem(text: str) -> str:
    if not text:
        return (
            f"The {OBJECT_ID} is empty. Every row needs the id of the object it is for, as an "
            "export lists it."
        )
    if not _GUID.fullmatch(text.lower()):
        return (
            f"{_clip(text)!r} is not an object id: ids are 32 hexadecimal digits in groups of "
            f"8-4-4-4-12, e.g. {_EXAMPLE_ID}."
        )
    return ""


def _texts(definition: Definition, cell: str) -> list[str]:
    """The values a cell lists, as typed; none for an empty cell."""
    if cell == "":
        return []
    if definition.is_collection:
        return split_values(cell)
    if definition.type == "Boolean" and cell.lower() in {"true", "false"}:
        return [cell.lower()]
    return [cell]


def _cell_problems(definition: Definition, texts: list[str]) -> list[str]:
    if definition.is_collection and "" in texts:
        return [
            "One of the values is empty: two ; in a row, or one at the start or end. "
            "Remove the extra ;."
        ]
    if definition.type == "Boolean":
        # The rule repeats a wrong Boolean in full; clipped, it is just as wrong.
        texts = [_clip(t) for t in texts]
    # Deactivated predefined values pass as if held: the planner knows what each object
    # holds, and refuses one given to an object that does not hold it already.
    also_allowed = [v.id for v in definition.inactive_values] or None
    return value_problems(definition, texts, held=also_allowed)


def _intent(row: _Row, columns: list[_Column]) -> bytes:
    """What a row wants, as a digest: equal for a repeated row, different for a conflicting
    one. Only the digest of each object's first row is kept, not a copy of every cell."""
    cells = [
        sorted(texts) if c.definition.is_collection else texts  # as assignment_rules.normal
        for c, texts in zip(columns, row.texts, strict=True)
    ]
    return hashlib.blake2b(repr((row.collection, cells)).encode(), digest_size=16).digest()


def _report_duplicates(upload: Upload, seen: dict[str, _Seen]) -> None:
    conflicting = set()
    for object_id, rows in seen.items():
        first, *later = rows.lines
        if not later:
            continue
        if not rows.differ:
            upload.problems += [
                Problem(line, "", f"Line {line} repeats line {first} for this object; remove one.")
                for line in later
            ]
            continue
        conflicting.add(object_id)
        both = "both" if len(later) == 1 else "all"
        message = (
            f"Lines {_listed(rows.lines)} {both} set values for object {object_id}, "
            "differently; keep one."
        )
        upload.problems += [Problem(line, "", message) for line in rows.lines]
    if conflicting:
        upload.wanted = [w for w in upload.wanted if w.object_id not in conflicting]


def _listed(lines: list[int]) -> str:
    *most, last = (str(line) for line in lines)
    return f"{', '.join(most)} and {last}"


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"
