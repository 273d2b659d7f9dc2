"""Reading an uploaded who-has-what CSV: each problem at its line and column, the whole
file refused when it cannot be read, and an export read back to exactly its values.
Plain unit tests: no Graph, no database."""

from __future__ import annotations

import pytest

from attributes import export
from attributes.bulk import upload as uploads
from attributes.bulk.upload import Problem, read_upload
from attributes.directory import AllowedValue, Definition
from attributes.objects import DirectoryObject, Kind
from attributes.spreadsheet import csv_lines

ID1 = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"
ID2 = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"


def _definition(name: str, type_: str = "String", **kw: object) -> Definition:
    return Definition(
        id=f"{kw.pop('set', 'Eng')}_{name}",
        attribute_set=str(kw.get("attribute_set", "Eng")),
        name=name,
        type=type_,
        is_collection=bool(kw.get("is_collection", False)),
        is_searchable=True,
        use_predefined_only=bool(kw.get("use_predefined_only", False)),
        allowed_values=tuple(kw.get("allowed_values", ())),  # type: ignore[arg-type]
        status=str(kw.get("status", "Available")),
    )


PROJECT = _definition(
    "Project",
    is_collection=True,
    use_predefined_only=True,
    allowed_values=(AllowedValue("Alpine"), AllowedValue("Baker"), AllowedValue("Old", False)),
)
TAGS = _definition("Tags", is_collection=True)
NOTE = _definition("Note")
COUNT = _definition("Count", "Integer")
SCORES = _definition("Scores", "Integer", is_collection=True)
FLAG = _definition("Flag", "Boolean")
SECRET = Definition(
    id="Hr_Salary", attribute_set="Hr", name="Salary", type="Integer",
    is_collection=False, is_searchable=True,
)  # fmt: skip
DEFINITIONS = [PROJECT, TAGS, NOTE, COUNT, SCORES, FLAG, SECRET]


def _read(text: str, *, encoding: str = "utf-8") -> uploads.Upload:
    return read_upload(
        text.encode(encoding),
        DEFINITIONS,
        assignable=lambda d: d.attribute_set != "Hr",
        why_not=lambda d: f"You cannot assign attributes in the set {d.attribute_set}.",
    )


def _problems(text: str) -> list[Problem]:
    result = _read(text)
    assert not result.file_problem, result.file_problem
    return result.problems


def _values(result: uploads.Upload) -> dict[tuple[str, str], object]:
    return {(w.object_id, w.definition.name): w.value for w in result.wanted}


def test_each_cell_becomes_the_value_wanted_and_an_empty_cell_no_value() -> None:
    result = _read(
        "objectId,objectType,Eng/Project,Eng/Note,Eng/Count,Eng/Flag,Eng/Scores\n"
        f"{ID1},user,Alpine;Baker,a;b,7,TRUE,1;2\n"
        f"{ID2.upper()},servicePrincipal,,,,,\n"
    )
    assert result.ok
    assert result.rows == 2
    assert _values(result) == {
        (ID1, "Project"): ["Alpine", "Baker"],
        (ID1, "Note"): "a;b",  # one value: a single-valued attribute's cell is not split
        (ID1, "Count"): 7,
        (ID1, "Flag"): True,
        (ID1, "Scores"): [1, 2],
        (ID2, "Project"): None,
        (ID2, "Note"): None,
        (ID2, "Count"): None,
        (ID2, "Flag"): None,
        (ID2, "Scores"): None,
    }
    assert {w.collection for w in result.wanted} == {"users", "servicePrincipals"}


def test_an_export_reads_back_to_exactly_its_values() -> None:
    hostile = ["=SUM(1)", "semi;colon", "back\\slash", "'quoted", "+1"]
    target = DirectoryObject(
        id=ID1, kind=Kind.MEMBER, display_name="Rey", user_principal_name="rey@x",
        values={"Eng": {"Tags": hostile, "Note": "-minus", "Count": -3, "Flag": False}},
    )  # fmt: skip
    columns = (TAGS, NOTE, COUNT, FLAG)
    scope = export.Scope(tabs=(), columns=columns)
    text = "".join(csv_lines(export.header(scope), export.csv_rows([target], columns)))
    result = _read(text)
    assert result.ok
    assert _values(result) == {
        (ID1, "Tags"): hostile,
        (ID1, "Note"): "-minus",
        (ID1, "Count"): -3,
        (ID1, "Flag"): False,
    }


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("not-a-guid,user,", "objectId", "'not-a-guid' is not an object id (a GUID)."),
        (
            f"{ID1},group,",
            "objectType",
            "'group' is not an object type: write user or servicePrincipal.",
        ),
        (
            f"{ID1},user,many",
            "Eng/Count",
            "'many' is not a whole number, and this attribute holds integers.",
        ),
        (f"{ID1},user,99999999999", "Eng/Count", "99999999999 is outside the 32-bit integer range"),
    ],
)
def test_a_bad_cell_is_reported_at_its_line_and_column(
    cells: str, column: str, message: str
) -> None:
    problems = _problems(f"objectId,objectType,Eng/Count\n{ID2},user,1\n{cells}\n")
    assert len(problems) == 1
    assert (problems[0].line, problems[0].column) == (3, column)
    assert problems[0].message.startswith(message)


def test_predefined_values_length_and_control_characters() -> None:
    long = "x" * 65
    problems = _problems(
        "objectId,Eng/Project,Eng/Note,Eng/Flag\n"
        f"{ID1},Zeta,{long},maybe\n"
        f'{ID2},Old,"bad\ttab",true\n'
    )
    by_place = {(p.line, p.column): p.message for p in problems}
    assert by_place[(2, "Eng/Project")].startswith(
        "'Zeta' is not an active predefined value of Project."
    )
    assert by_place[(2, "Eng/Note")].startswith("'xxxxxxxxxxxxxxxxxxxx'… is 65 characters long")
    assert by_place[(2, "Eng/Flag")] == "Flag is true or false; 'maybe' is not."
    assert "control character" in by_place[(3, "Eng/Note")]
    # A deactivated value is not refused here: an object holding it may keep it.
    assert (3, "Eng/Project") not in by_place


def test_columns_that_are_unknown_or_not_assignable_are_reported_at_line_one() -> None:
    problems = _problems(f"objectId,Eng/Nope,Hr/Salary,Eng/Note\n{ID1},1,2,x\n")
    assert problems == [
        Problem(1, "Eng/Nope", "No attribute Eng/Nope exists that you can read."),
        Problem(1, "Hr/Salary", "You cannot assign attributes in the set Hr."),
    ]


def test_repeated_and_conflicting_rows() -> None:
    result = _read(f"objectId,Eng/Note\n{ID1},same\n{ID2},one\n{ID1},same\n{ID2},other\n")
    assert result.problems == [
        Problem(
            3, "objectId", f"Lines 3 and 5 both set values for object {ID2}, differently; keep one."
        ),
        Problem(4, "objectId", "Line 4 repeats line 2 for this object; remove one."),
        Problem(
            5, "objectId", f"Lines 3 and 5 both set values for object {ID2}, differently; keep one."
        ),
    ]
    assert [w.object_id for w in result.wanted] == [ID1]


def test_a_quoted_line_break_does_not_shift_the_line_numbers_after_it() -> None:
    problems = _problems(f'objectId,Eng/Tags,Eng/Count\n{ID1},"a\nb",1\n{ID2},x,bad\n')
    assert [(p.line, p.column) for p in problems] == [(2, "Eng/Tags"), (4, "Eng/Count")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (
            "objectId,Eng/Note\n4c2b71b7-2dc0-465f-b7f1-975c35db0440,caf\xe9\n".encode("latin-1"),
            "The file is not UTF-8 (line 2",
        ),
        (b"displayName,Eng/Note\nRey,x\n", "The file has no objectId column"),
        (b"objectId,Note\n", "Unknown column 'Note' (line 1)"),
        (b"objectId,displayName\n", "The file has no attribute column"),
        (b"objectId,Eng/Note,Eng/Note\n", "The header names 'Eng/Note' more than once."),
        (f"objectId,Eng/Note\n{ID1},a,b\n".encode(), "Line 2 has 3 cells but the header has 2"),
        (b'objectId,Eng/Note\n"unclosed,x\n', "The file is not valid CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(content: bytes, message: str) -> None:
    result = read_upload(content, DEFINITIONS, assignable=lambda d: True, why_not=lambda d: "")
    assert result.file_problem.startswith(message), result.file_problem
    assert not result.wanted


def test_size_and_row_limits() -> None:
    big = b"objectId,Eng/Note\n" + b"x" * uploads.MAX_UPLOAD_BYTES
    refused = read_upload(big, DEFINITIONS, assignable=lambda d: True, why_not=str)
    assert refused.file_problem.startswith("The file is larger than 5 MB (5.0 MB)")
    rows = f"{ID1},x\n" * (uploads.MAX_ROWS + 1)
    result = _read(f"objectId,Eng/Note\n{rows}")
    assert result.file_problem.startswith("The file has 50,001 rows; at most 50,000")


def test_a_byte_order_mark_and_blank_lines_are_fine() -> None:
    result = read_upload(
        f"\ufeffobjectId,Eng/Note\n\n{ID1},x\n\n".encode(),
        DEFINITIONS,
        assignable=lambda d: True,
        why_not=str,
    )
    assert result.ok
    assert _values(result) == {(ID1, "Note"): "x"}
