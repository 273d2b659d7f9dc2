"""Reading an uploaded who-has-what CSV: each rule's message at its line and column, the
refusals of a whole file, and an export read back as exactly the values it holds."""

from __future__ import annotations

import pytest

from attributes.bulk import upload as upload_module
from attributes.bulk.upload import MAX_UPLOAD_BYTES, Problem, Upload, read_upload
from attributes.directory import DEPRECATED, AllowedValue, Definition
from attributes.export import Scope, csv_rows, header, join_values
from attributes.objects import DirectoryObject, Kind, Value
from attributes.spreadsheet import csv_lines

STATUS = Definition(
    "d-status",
    "Engineering",
    "Status",
    "String",
    is_collection=False,
    is_searchable=True,
    use_predefined_only=True,
    allowed_values=(AllowedValue("Active"), AllowedValue("Retired", is_active=False)),
)
PROJECT = Definition("d-project", "Engineering", "Project", "String", True, True)
CODE = Definition("d-code", "Engineering", "Code", "String", False, True)
LEVEL = Definition("d-level", "Engineering", "Level", "Integer", False, True)
VENDORS = Definition("d-vendors", "Engineering", "Vendors", "Integer", True, True)
CERTIFIED = Definition("d-certified", "Engineering", "Certified", "Boolean", False, True)
LEGACY = Definition("d-legacy", "Engineering", "Legacy", "String", False, True, DEPRECATED)
BAND = Definition("d-band", "HR", "Band", "String", False, True)
DEFINITIONS = [STATUS, PROJECT, CODE, LEVEL, VENDORS, CERTIFIED, LEGACY, BAND]

JOE = "d8fd6d05-1391-5683-a152-f7c0f1ef8043"
DMITRI = "9d2b58fe-eac3-401c-bb6f-02e9e2a2eaee"
AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"
HR_REASON = "your roles let you assign in Engineering only."


def read(text: str) -> Upload:
    return read_upload(
        text.encode(),
        DEFINITIONS,
        assignable=lambda d: d.attribute_set != "HR",
        why_not=lambda d: HR_REASON,
    )


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def wanted(result: Upload) -> dict[tuple[int, str, str], Value | None]:
    """(line, object, attribute) -> the value wanted."""
    return {(w.line, w.object_id, w.definition.name): w.value for w in result.wanted}


def refused(text: str | bytes) -> str:
    data = text if isinstance(text, bytes) else text.encode()
    result = read_upload(data, DEFINITIONS, assignable=lambda d: True, why_not=str)
    assert (result.wanted, result.problems, result.rows) == ([], [], 0)
    assert not result.ok
    return result.file_problem


# Cells as values ---------------------------------------------------------------------


def test_read_upload_gives_each_cell_as_a_typed_value() -> None:
    result = read(
        csv_text(
            "objectId,objectType,kind,displayName,principalName,"
            "Engineering/Project,Engineering/Level,Engineering/Vendors,Engineering/Certified",
            f"{JOE},user,member,Joe,joe@contoso.example,Baker;Cascade,8,3;5,TRUE",
            f"{AGENT},servicePrincipal,agentIdentity,Agent,{AGENT},Delta,-2,7,false",
        )
    )

    assert result.ok
    assert result.rows == 2
    assert result.columns == [PROJECT, LEVEL, VENDORS, CERTIFIED]
    assert wanted(result) == {
        (2, JOE, "Project"): ["Baker", "Cascade"],
        (2, JOE, "Level"): 8,
        (2, JOE, "Vendors"): [3, 5],
        (2, JOE, "Certified"): True,
        (3, AGENT, "Project"): ["Delta"],
        (3, AGENT, "Level"): -2,
        (3, AGENT, "Vendors"): [7],
        (3, AGENT, "Certified"): False,
    }
    assert {w.object_id: w.collection for w in result.wanted} == {
        JOE: "users",
        AGENT: "servicePrincipals",
    }


def test_read_upload_matches_attribute_columns_without_regard_to_case() -> None:
    result = read(csv_text("objectid,engineering/LEVEL", f"{JOE.upper()},4"))

    assert result.ok
    assert result.columns == [LEVEL]
    assert wanted(result) == {(2, JOE, "Level"): 4}
    assert result.wanted[0].collection is None


def test_read_upload_reads_an_empty_cell_as_no_value_and_leaves_absent_columns_alone() -> None:
    result = read(csv_text("objectId,Engineering/Code,Engineering/Project", f"{JOE},,"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Code"): None, (2, JOE, "Project"): None}


def test_read_upload_reads_missing_cells_at_the_end_of_a_row_as_empty() -> None:
    result = read(csv_text("objectId,Engineering/Code,Engineering/Level", f"{JOE},x"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Code"): "x", (2, JOE, "Level"): None}


def test_read_upload_takes_a_single_valued_cell_as_one_value_semicolons_and_all() -> None:
    result = read(csv_text("objectId,Engineering/Code", f"{JOE},a;b"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Code"): "a;b"}


def test_read_upload_splits_multiple_values_as_join_values_wrote_them() -> None:
    values = ["a;b", "c\\d", "e\\;", "f"]
    cell = join_values(values)
    assert cell == "a\\;b;c\\\\d;e\\\\\\;;f"

    result = read(csv_text("objectId,Engineering/Project", f"{JOE},{cell}"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Project"): values}


def test_read_upload_undoes_the_formula_guard() -> None:
    result = read(
        csv_text(
            "objectId,Engineering/Code,Engineering/Project",
            f"{JOE},'=SUM(1),'+1;-2",
            f"{DMITRI},''quoted,'@x",
        )
    )

    assert result.ok
    assert wanted(result) == {
        (2, JOE, "Code"): "=SUM(1)",
        (2, JOE, "Project"): ["+1", "-2"],
        (3, DMITRI, "Code"): "'quoted",
        (3, DMITRI, "Project"): ["@x"],
    }


def test_read_upload_leaves_deactivated_attributes_to_the_planner() -> None:
    result = read(csv_text("objectId,Engineering/Legacy", f"{JOE},kept"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Legacy"): "kept"}


# Values against the rules ------------------------------------------------------------


def test_read_upload_refuses_a_value_that_is_not_predefined() -> None:
    result = read(csv_text("objectId,Engineering/Status", f"{JOE},Gamma", f"{DMITRI},Active"))

    assert result.problems == [
        Problem(
            2,
            "Engineering/Status",
            "'Gamma' is not an active predefined value of Status. Choose from: Active.",
        )
    ]
    assert wanted(result) == {(3, DMITRI, "Status"): "Active"}


def test_read_upload_accepts_a_deactivated_predefined_value_for_the_planner_to_check() -> None:
    result = read(csv_text("objectId,Engineering/Status", f"{JOE},Retired"))

    assert result.ok
    assert wanted(result) == {(2, JOE, "Status"): "Retired"}


def test_read_upload_refuses_an_integer_that_is_not_a_whole_number() -> None:
    result = read(csv_text("objectId,Engineering/Level,Engineering/Vendors", f"{JOE},ten,1;2.5"))

    assert result.problems == [
        Problem(
            2,
            "Engineering/Level",
            "'ten' is not a whole number, and this attribute holds integers.",
        ),
        Problem(
            2,
            "Engineering/Vendors",
            "'2.5' is not a whole number, and this attribute holds integers.",
        ),
    ]
    assert result.wanted == []


def test_read_upload_refuses_a_boolean_that_is_not_true_or_false() -> None:
    long = "y" * 100
    result = read(csv_text("objectId,Engineering/Certified", f"{JOE},yes", f"{DMITRI},{long}"))

    assert result.problems == [
        Problem(2, "Engineering/Certified", "Certified is true or false; 'yes' is not."),
        Problem(3, "Engineering/Certified", f"Certified is true or false; '{'y' * 40}…' is not."),
    ]


def test_read_upload_refuses_a_value_over_64_characters() -> None:
    result = read(
        csv_text("objectId,Engineering/Code", f"{JOE},{'x' * 64}", f"{DMITRI},{'x' * 65}")
    )

    assert result.problems == [
        Problem(3, "Engineering/Code", f"'{'x' * 20}'… is 65 characters long; the limit is 64.")
    ]
    assert wanted(result) == {(2, JOE, "Code"): "x" * 64}


def test_read_upload_refuses_control_characters() -> None:
    result = read(csv_text("objectId,Engineering/Code", f'{JOE},"a\tb"'))

    assert result.problems == [
        Problem(
            2,
            "Engineering/Code",
            "'a\\tb' contains a control character (such as a line break); remove it.",
        )
    ]


def test_read_upload_refuses_an_empty_value_among_several() -> None:
    result = read(csv_text("objectId,Engineering/Project", f"{JOE},a;;b", f"{DMITRI},a;"))

    message = (
        "One of the values is empty: two ; in a row, or one at the start or end. "
        "Remove the extra ;."
    )
    assert result.problems == [
        Problem(2, "Engineering/Project", message),
        Problem(3, "Engineering/Project", message),
    ]


def test_read_upload_refuses_a_value_listed_twice() -> None:
    result = read(csv_text("objectId,Engineering/Project", f"{JOE},a;b;a"))

    assert result.problems == [Problem(2, "Engineering/Project", "Listed more than once: a.")]


# Object ids and types ----------------------------------------------------------------


def test_read_upload_requires_an_object_id_on_every_row() -> None:
    result = read(
        csv_text(
            "objectId,Engineering/Code",
            ",x",
            f"{JOE[:-1]}g,x",
            f"{'0' * 300},x",
            f" {JOE} ,y",
        )
    )

    assert result.problems == [
        Problem(
            2,
            "objectId",
            "The objectId is empty. Every row needs the id of the object it is for, as an "
            "export lists it.",
        ),
        Problem(
            3,
            "objectId",
            f"'{JOE[:-1]}g' is not an object id: ids are 32 hexadecimal digits in groups of "
            f"8-4-4-4-12, e.g. {JOE}.",
        ),
        Problem(
            4,
            "objectId",
            f"'{'0' * 40}…' is not an object id: ids are 32 hexadecimal digits in groups of "
            f"8-4-4-4-12, e.g. {JOE}.",
        ),
    ]
    assert wanted(result) == {(5, JOE, "Code"): "y"}


def test_read_upload_refuses_an_unknown_object_type() -> None:
    result = read(
        csv_text(
            "objectId,objectType,Engineering/Code",
            f"{JOE},group,x",
            f"{DMITRI},,y",
            f"{AGENT},ServicePrincipal,z",
        )
    )

    assert result.problems == [
        Problem(
            2,
            "objectType",
            "'group' is not an object type: write user or servicePrincipal, or leave the cell "
            "empty.",
        )
    ]
    assert {w.object_id: w.collection for w in result.wanted} == {
        DMITRI: None,
        AGENT: "servicePrincipals",
    }


def test_read_upload_reports_a_repeated_row_on_the_later_line() -> None:
    result = read(
        csv_text(
            "objectId,displayName,Engineering/Project,Engineering/Level",
            f"{JOE},Joe,a;b,1",
            f"{DMITRI},Dmitri,c,2",
            f"{JOE.upper()},Joe again,b;a,1",
        )
    )

    assert result.problems == [
        Problem(4, "", "Line 4 repeats line 2 for this object; remove one."),
    ]
    assert wanted(result) == {
        (2, JOE, "Project"): ["a", "b"],
        (2, JOE, "Level"): 1,
        (3, DMITRI, "Project"): ["c"],
        (3, DMITRI, "Level"): 2,
    }


def test_read_upload_reports_conflicting_rows_on_each_line_and_wants_nothing_for_them() -> None:
    result = read(
        csv_text(
            "objectId,Engineering/Level",
            f"{JOE},1",
            f"{DMITRI},2",
            f"{JOE},1",
            f"{AGENT},3",
            f"{JOE},5",
            f"{AGENT},4",
        )
    )

    joe = f"Lines 2, 4 and 6 all set values for object {JOE}, differently; keep one."
    agent = f"Lines 5 and 7 both set values for object {AGENT}, differently; keep one."
    assert result.problems == [
        Problem(2, "", joe),
        Problem(4, "", joe),
        Problem(5, "", agent),
        Problem(6, "", joe),
        Problem(7, "", agent),
    ]
    assert wanted(result) == {(3, DMITRI, "Level"): 2}


def test_read_upload_wants_nothing_from_a_row_with_a_problem_and_still_reads_the_others() -> None:
    result = read(
        csv_text(
            "objectId,Engineering/Code,Engineering/Level",
            f"{JOE},fine,ten",
            f"{DMITRI},fine,10",
        )
    )

    assert not result.ok
    assert [(p.line, p.column) for p in result.problems] == [(2, "Engineering/Level")]
    assert wanted(result) == {(3, DMITRI, "Code"): "fine", (3, DMITRI, "Level"): 10}


# Columns -----------------------------------------------------------------------------


def test_read_upload_reports_an_unknown_attribute_at_its_column_and_reads_the_rest() -> None:
    result = read(csv_text("objectId,Engineering/Nope,Engineering/Code", f"{JOE},1,x"))

    assert result.problems == [
        Problem(
            1,
            "Engineering/Nope",
            "Unknown attribute: the set 'Engineering' has no attribute 'Nope'. Check the "
            "spelling against an export, or delete the column.",
        )
    ]
    assert result.columns == [CODE]
    assert wanted(result) == {(2, JOE, "Code"): "x"}


def test_read_upload_reports_a_set_the_person_may_not_assign() -> None:
    result = read(csv_text("objectId,HR/Band,Engineering/Code", f"{JOE},B2,x"))

    assert result.problems == [
        Problem(1, "HR/Band", f"You cannot assign attributes in the set HR: {HR_REASON}")
    ]
    assert result.columns == [CODE]
    assert [w.definition for w in result.wanted] == [CODE]


def test_read_upload_refuses_an_unknown_column() -> None:
    assert refused(csv_text("objectId,Foo,Engineering/Code", f"{JOE},1,x")) == (
        "Unknown column 'Foo' (line 1): attribute columns are named Set/Attribute, "
        "e.g. Engineering/Status."
    )
    assert refused(csv_text("objectId,Foo,Bar,Engineering/Code")).startswith(
        "Unknown columns 'Foo', 'Bar' (line 1):"
    )


def test_read_upload_refuses_a_column_named_twice() -> None:
    assert refused(csv_text("objectId,Engineering/Code,engineering/code", f"{JOE},a,b")) == (
        "The header (line 1) names the column 'engineering/code' twice; delete one of them."
    )


def test_read_upload_refuses_a_column_without_a_name() -> None:
    assert refused(csv_text("objectId,Engineering/Code,", f"{JOE},a,b")) == (
        "Column 3 of the header (line 1) has no name. Name it (e.g. Engineering/Project), "
        "or delete the column."
    )


def test_read_upload_refuses_a_file_without_an_object_id_column() -> None:
    assert refused(csv_text("displayName,Engineering/Code", "Joe,x")) == (
        "The file has no objectId column (line 1): it says which object each row is for. "
        "Start from an export or a template, which have it."
    )


def test_read_upload_refuses_a_file_without_attribute_columns() -> None:
    assert refused(csv_text("objectId,displayName", f"{JOE},Joe")) == (
        "The file has no attribute columns (named Set/Attribute, line 1), so there is nothing "
        "to change. Start from an export or a template of the attributes."
    )


# Lines and encoding ------------------------------------------------------------------


def test_read_upload_counts_the_lines_a_quoted_cell_spans_and_skips_blank_lines() -> None:
    result = read(
        "objectId,displayName,Engineering/Level\r\n"
        f'{JOE},"Joe\r\nof two lines",1\r\n'
        "\r\n"
        ",,\r\n"
        f"{DMITRI},Dmitri,ten\r\n"
    )

    assert result.rows == 2
    assert result.problems == [
        Problem(
            6,
            "Engineering/Level",
            "'ten' is not a whole number, and this attribute holds integers.",
        )
    ]
    assert wanted(result) == {(2, JOE, "Level"): 1}


def test_read_upload_reports_a_line_break_inside_a_value_at_the_line_its_row_starts() -> None:
    result = read(csv_text("objectId,Engineering/Code", f'{JOE},"a', 'b"', f"{DMITRI},ten"))

    assert result.problems == [
        Problem(
            2,
            "Engineering/Code",
            "'a\\nb' contains a control character (such as a line break); remove it.",
        )
    ]
    assert wanted(result) == {(4, DMITRI, "Code"): "ten"}


def test_read_upload_accepts_a_byte_order_mark() -> None:
    data = "\ufeffobjectId,Engineering/Code\n" + f"{JOE},x\n"
    result = read_upload(
        data.encode(), DEFINITIONS, assignable=lambda d: True, why_not=lambda d: ""
    )

    assert result.ok
    assert wanted(result) == {(2, JOE, "Code"): "x"}


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_read_upload_refuses_a_file_not_saved_as_utf8(bom: bytes) -> None:
    data = bom + f"objectId,Engineering/Code\n{JOE},ok\n{DMITRI},Café\n".encode("latin-1")
    offset = data.index(b"\xe9")

    assert refused(data) == (
        f"The file is not saved as UTF-8: line 3 holds the byte 0xE9 (at byte offset {offset}), "
        "which UTF-8 text cannot. Save it as UTF-8 and upload it again; in Excel, choose the "
        'format "CSV UTF-8 (Comma delimited)".'
    )


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\r\n\n"])
def test_read_upload_refuses_an_empty_file(data: bytes) -> None:
    assert refused(data) == (
        "The file is empty. Download an export or a template, fill it in and upload that."
    )


def test_read_upload_refuses_a_file_over_5_mb() -> None:
    assert refused(b"x" * int(7.2 * 1024 * 1024)) == (
        "The file is 7.2 MB; the limit is 5 MB. Split it into smaller files and upload each."
    )
    assert refused(b"x" * (MAX_UPLOAD_BYTES + 1)).startswith("The file is 5.1 MB;")


def test_read_upload_reads_a_file_of_exactly_5_mb() -> None:
    rows = f"objectId,Engineering/Code\n{JOE},x\n".encode()
    # Rows of empty cells are skipped like blank lines, and few long ones read fast.
    padding = (b"," * 99_999 + b"\n") * (MAX_UPLOAD_BYTES // 100_000)
    data = rows + padding + b"\n" * (MAX_UPLOAD_BYTES - len(rows) - len(padding))
    assert len(data) == MAX_UPLOAD_BYTES

    result = read_upload(data, DEFINITIONS, assignable=lambda d: True, why_not=lambda d: "")

    assert result.ok
    assert wanted(result) == {(2, JOE, "Code"): "x"}


def test_read_upload_refuses_a_row_with_more_cells_than_the_header() -> None:
    assert refused(csv_text("objectId,Engineering/Code", f"{JOE},x", f"{DMITRI},a,b")) == (
        "Line 3 has 3 cells but the header has 2 columns. Put a cell that holds a comma in "
        'double quotes ("a,b"), or remove the extra cells.'
    )


def test_read_upload_refuses_a_file_that_is_not_valid_csv() -> None:
    text = csv_text("objectId,Engineering/Code", f"{JOE},x", f'{DMITRI},"a"b', f"{AGENT},y")

    assert refused(text) == (
        "The file is not valid CSV in the row that starts at line 3 (',' expected after '\"'). "
        "A cell that holds a comma, a quote or a line break must be in double quotes, with "
        'each quote inside it doubled ("say ""hi""").'
    )


def test_read_upload_refuses_an_unclosed_quote_at_the_line_it_opens() -> None:
    text = csv_text("objectId,Engineering/Code", f"{JOE},x", f'{DMITRI},"a', f"{AGENT},y")

    assert refused(text).startswith(
        "The file is not valid CSV in the row that starts at line 3 (unexpected end of data)."
    )


def test_read_upload_refuses_a_quote_left_open_in_a_long_file_at_the_line_it_opens() -> None:
    rows = [f"{JOE},x"] * 20_000
    text = csv_text("objectId,Engineering/Code", f"{JOE},x", f'{DMITRI},"a', *rows)

    assert refused(text).startswith(
        "The file is not valid CSV in the row that starts at line 3 (field larger than field "
        "limit (131072))."
    )


def test_read_upload_refuses_more_rows_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload_module, "MAX_ROWS", 2)
    header_line = "objectId,Engineering/Code"

    assert read(csv_text(header_line, f"{JOE},x", "", f"{DMITRI},y")).rows == 2
    assert refused(csv_text(header_line, f"{JOE},x", f"{DMITRI},y", f"{AGENT},z")) == (
        "The file has more than 2 rows; the limit is 2. Split it into smaller files and "
        "upload each."
    )


# An export, read back ----------------------------------------------------------------


def test_read_upload_reads_an_export_back_as_exactly_its_values() -> None:
    columns = [STATUS, PROJECT, CODE, LEVEL, VENDORS, CERTIFIED, LEGACY]
    found = [
        DirectoryObject(
            JOE,
            Kind.MEMBER,
            "Joe, Contoso",
            user_principal_name="joe@contoso.example",
            values={
                "Engineering": {
                    "Status": "Retired",
                    "Project": ["a;b", "=HYPERLINK(1)", "c\\d", "'x", 'é, "quoted"'],
                    "Code": "-1;not a formula",
                    "Level": -2147483648,
                    "Vendors": [3, 1],
                    "Certified": False,
                    "Legacy": "+kept",
                }
            },
        ),
        DirectoryObject(DMITRI, Kind.GUEST, "=cmd|' /C calc'!A0", "dmitri#EXT#@contoso.example"),
        DirectoryObject(
            AGENT,
            Kind.AGENT_IDENTITY,
            "Agent",
            app_id=AGENT,
            values={"engineering": {"certified": True, "code": "@risk"}},
        ),
    ]
    text = "".join(
        csv_lines(header(Scope(tabs=(), columns=tuple(columns))), csv_rows(found, columns))
    )

    result = read_upload(text.encode(), DEFINITIONS, assignable=lambda d: True, why_not=str)

    assert result.ok, result.problems
    assert result.columns == columns
    assert result.rows == 3
    assert len(result.wanted) == len(found) * len(columns)
    for item in result.wanted:
        target = next(f for f in found if f.id == item.object_id)
        expected = target.value(item.definition.attribute_set, item.definition.name)
        assert item.value == expected, (target.display_name, item.definition.name)
        assert item.collection == target.collection
