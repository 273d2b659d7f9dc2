"""Graph's rules for names, descriptions, values and limits (graph-api.md §3), without HTTP.

The view tests check that each rule reaches the field and that the emulator refuses the
same input; these check the rules themselves, edge by edge.
"""

from __future__ import annotations

import pytest

from attributes import validators


@pytest.mark.parametrize("name", ["Engineering", "Projekt2", "日本語", "Łódź", "A" * 32])
def test_good_names_pass(name: str) -> None:
    assert validators.name_errors(name, what="attribute set") == []


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "Enter a name for the attribute set"),
        ("A" * 33, "33 characters long; the limit is 32"),
        ("Has space", "cannot contain spaces"),
        ("Cost-Center", "cannot contain -"),
        ("a.b", "cannot contain ."),
        ("Under_score", "cannot contain _"),
        ("RTL\u202eName", "cannot contain U+202E"),
        ("Zero\u200bWidth", "cannot contain U+200B"),
        ("1Team", "cannot start with a digit"),
    ],
)
def test_bad_names_say_what_is_wrong(name: str, fragment: str) -> None:
    errors = validators.name_errors(name, what="attribute set")
    assert any(fragment in error for error in errors), errors


def test_a_name_can_break_several_rules_at_once() -> None:
    errors = validators.name_errors("9 lives!" + "x" * 30, what="attribute")
    assert len(errors) == 3


def test_uniqueness_ignores_case_and_names_the_existing_spelling() -> None:
    assert validators.unique_name_errors("Finance", ["Engineering"], what="a set") == []
    (error,) = validators.unique_name_errors("engineering", ["Engineering"], what="a set")
    assert "as 'Engineering'" in error
    (same,) = validators.unique_name_errors("Engineering", ["Engineering"], what="a set")
    assert "regardless of case" not in same


def test_uniqueness_is_only_looked_up_for_a_valid_name() -> None:
    looked_up: list[bool] = []

    def existing() -> list[str]:
        looked_up.append(True)
        return []

    validators.new_name_errors("bad name", existing, what="attribute set", among="a set")
    assert looked_up == []
    validators.new_name_errors("Good", existing, what="attribute set", among="a set")
    assert looked_up == [True]


def test_descriptions_allow_128_characters_and_direction_marks_only() -> None:
    assert validators.description_errors("d" * 128) == []
    assert validators.description_errors("Hebrew \u200f mark") == []
    assert "129 characters" in validators.description_errors("d" * 129)[0]
    assert "U+0009" in validators.description_errors("tab\there")[0]
    assert "U+202E" in validators.description_errors("evil \u202e")[0]


@pytest.mark.parametrize(
    ("value", "in_use", "fragment"),
    [
        (0, 0, "between 1 and 500"),
        (501, 0, "between 1 and 500"),
        (4, 5, "has 5 active attributes"),
    ],
)
def test_a_sets_maximum_is_bounded(value: int, in_use: int, fragment: str) -> None:
    assert fragment in validators.max_attributes_errors(value, in_use=in_use)[0]


def test_no_maximum_and_a_maximum_at_the_count_in_use_are_fine() -> None:
    assert validators.max_attributes_errors(None, in_use=400) == []
    assert validators.max_attributes_errors(5, in_use=5) == []


def test_capacity_counts_the_tenant_and_the_set() -> None:
    assert validators.capacity_errors(tenant_active=499, set_active=9, set_max=10) == []
    both = validators.capacity_errors(tenant_active=500, set_active=10, set_max=10)
    assert len(both) == 2
    assert validators.capacity_errors(tenant_active=10, set_active=400, set_max=None) == []
    assert validators.set_capacity_errors(sets=500)
    assert not validators.set_capacity_errors(sets=499)


@pytest.mark.parametrize(
    ("value", "type_", "fragment"),
    [
        ("", "String", "cannot be empty"),
        ("x" * 65, "String", "65 characters long"),
        (" padded", "String", "starts or ends with a space"),
        ("a/b", "String", "contains /"),
        ("50%", "String", "contains %"),
        ("ab\u202ecd", "String", "contains U+202E"),
        ("twelve", "Integer", "not a whole number"),
        ("2147483648", "Integer", "outside the 32-bit integer range"),
        ("-2147483649", "Integer", "outside the 32-bit integer range"),
        ("007", "Integer", "without leading zeros"),
    ],
)
def test_bad_predefined_values_say_what_is_wrong(value: str, type_: str, fragment: str) -> None:
    (error,) = validators.value_errors(value, type_=type_)
    assert fragment in error


@pytest.mark.parametrize(
    ("value", "type_"),
    [("Alpine", "String"), ("x" * 64, "String"), ("a b", "String"), ("-2147483648", "Integer")],
)
def test_good_predefined_values_pass(value: str, type_: str) -> None:
    assert validators.value_errors(value, type_=type_) == []


def test_a_pasted_list_reports_duplicates_case_variants_and_the_limit() -> None:
    parsed = validators.parse_values(
        "North\n\n  South \nNorth\nnorth\nAlpine", type_="String", existing=["Alpine"], limit=3
    )
    assert parsed.values == ["North", "South", "north"]
    assert parsed.duplicates == ["North", "Alpine"]
    assert parsed.case_variants == ["north / North"]
    assert any(
        "Listed more than once or already defined: North, Alpine" in e for e in parsed.errors
    )
    assert any("That makes 4 predefined values" in e and "at most 3" in e for e in parsed.errors)


def test_a_clean_list_has_no_errors() -> None:
    parsed = validators.parse_values("1\n2\n3", type_="Integer")
    assert (parsed.values, parsed.errors) == (["1", "2", "3"], [])
