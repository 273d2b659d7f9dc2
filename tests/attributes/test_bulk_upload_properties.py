"""The bulk import's reader, fed generated files (issue 14): any bytes, any rows, any
encoding. It never raises; every refusal says where (a line) and what to do; and any
export of values the portal could assign reads back as exactly those values."""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from attributes import validators
from attributes.bulk.upload import Upload, read_upload
from attributes.export import FIXED_COLUMNS, Scope, csv_rows, header, join_values, split_values
from attributes.objects import DirectoryObject, Kind
from attributes.spreadsheet import FORMULA_STARTS, csv_lines
from tests.attributes.test_bulk_upload import (
    CERTIFIED,
    CODE,
    DEFINITIONS,
    LEVEL,
    PROJECT,
    STATUS,
    VENDORS,
)
from tests.hostile import hostile_text

COLUMNS = [STATUS, PROJECT, CODE, LEVEL, VENDORS, CERTIFIED]
# A refusal of the whole file that has no line to name: there is no line, or it is all of them.
_WHOLE_FILE = re.compile(r"^The file (is empty|is [\d.]+ MB|has more than)")


def _read(data: bytes) -> Upload:
    return read_upload(data, DEFINITIONS, assignable=lambda d: True, why_not=str)


def _lines_in(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") + 1


def _assert_every_refusal_is_placed_and_told(result: Upload, data: bytes) -> None:
    if result.file_problem:
        assert (result.wanted, result.problems) == ([], [])
        assert re.search(r"\bline \d+", result.file_problem, re.IGNORECASE) or _WHOLE_FILE.match(
            result.file_problem
        ), result.file_problem
        return
    for problem in result.problems:
        assert 1 <= problem.line <= _lines_in(data), problem
        assert problem.message.strip(), problem
    assert result.ok == (not result.problems)
    # A row with a problem wants nothing.
    refused = {p.line for p in result.problems}
    assert not refused & {w.line for w in result.wanted}


@given(data=st.binary(max_size=3000))
def test_any_bytes_are_read_or_refused_with_a_reason(data: bytes) -> None:
    _assert_every_refusal_is_placed_and_told(_read(data), data)


_CELL = st.one_of(
    hostile_text(max_size=30),
    st.sampled_from(["", "user", "servicePrincipal", "true", "7", "Active", "Retired"]),
    st.builds(lambda u: str(u), st.uuids()),
    st.sampled_from(sorted(FORMULA_STARTS)).flatmap(lambda c: hostile_text().map(c.__add__)),
)
_HEADERS = st.lists(
    st.sampled_from(
        [
            *FIXED_COLUMNS,
            *("Engineering/Project", "engineering/level", "Engineering/Status", "HR/Band"),
            *("Engineering/Certified", "Engineering/Vendors", "Nope/Thing", "junk", ""),
        ]
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def _files(draw: st.DrawFn) -> bytes:
    """A CSV file with a plausible header and rows of hostile cells, in some encoding."""
    names = draw(_HEADERS)
    rows = draw(st.lists(st.lists(_CELL, max_size=len(names) + 1), max_size=8))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(names)
    writer.writerows(rows)
    text = out.getvalue()
    if draw(st.booleans()):
        text += draw(hostile_text(max_size=20))  # a torn last line, a stray quote
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    return text.encode(encoding, errors="replace")


@given(data=_files())
def test_any_generated_file_is_read_or_refused_at_its_line(data: bytes) -> None:
    _assert_every_refusal_is_placed_and_told(_read(data), data)


# Export, then import -------------------------------------------------------------------------

_ASSIGNABLE = hostile_text(max_size=64).filter(
    lambda t: not validators.assigned_value_errors(t, type_="String")
)
_INT32 = st.integers(validators.INT32_MIN, validators.INT32_MAX)


@st.composite
def _objects(draw: st.DrawFn) -> DirectoryObject:
    """An object with any values the portal could have assigned, and hostile names."""
    values: dict[str, object] = {}
    choices = {
        "Status": st.sampled_from(["Active", "Retired"]),
        "Project": st.lists(_ASSIGNABLE, min_size=1, max_size=4, unique=True),
        "Code": _ASSIGNABLE,
        "Level": _INT32,
        "Vendors": st.lists(_INT32, min_size=1, max_size=4, unique=True),
        "Certified": st.booleans(),
    }
    for name, strategy in choices.items():
        if draw(st.booleans()):
            values[name] = draw(strategy)
    kind = draw(st.sampled_from([Kind.MEMBER, Kind.GUEST, Kind.AGENT_IDENTITY]))
    return DirectoryObject(
        str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        kind,
        draw(hostile_text(max_size=40)),
        user_principal_name=draw(hostile_text(max_size=40)),
        values={"Engineering": values} if values else {},
    )


@given(found=st.lists(_objects(), min_size=1, max_size=5, unique_by=lambda o: o.id))
def test_an_export_reads_back_as_exactly_its_values(found: list[DirectoryObject]) -> None:
    text = "".join(
        csv_lines(header(Scope(tabs=(), columns=tuple(COLUMNS))), csv_rows(found, COLUMNS))
    )
    result = _read(text.encode())
    assert result.ok, (result.file_problem, result.problems)
    assert result.rows == len(found)
    by_id = {o.id: o for o in found}
    assert len(result.wanted) == len(found) * len(COLUMNS)
    for item in result.wanted:
        target = by_id[item.object_id]
        assert item.value == target.value("Engineering", item.definition.name), item
        assert item.collection == target.collection


@given(values=st.lists(st.text(), max_size=6))
def test_join_then_split_gives_back_any_values(values: list[str]) -> None:
    """The multi-valued cell keeps every value, separators and backslashes included."""
    if values == []:
        return
    assert split_values(join_values(values)) == values


@given(text=hostile_text(max_size=200))
def test_a_byte_order_mark_changes_nothing(text: str) -> None:
    plain = f"objectId,Engineering/Code\n{text}\n".encode()
    with_bom = codecs.BOM_UTF8 + plain
    a, b = _read(plain), _read(with_bom)
    assert (a.file_problem, a.problems, a.wanted) == (b.file_problem, b.problems, b.wanted)
