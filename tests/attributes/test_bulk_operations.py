"""The dry run's verdict for every operation on every shape of attribute: what the object
would hold, and whether it may. Plain unit tests: no Graph, no database."""

from __future__ import annotations

from typing import Any

import pytest

from attributes.bulk.operations import apply, plan
from attributes.directory import AllowedValue, Definition
from attributes.models import ItemState, Operation
from attributes.objects import DirectoryObject, Kind


def _definition(
    type_: str, *, collection: bool = False, predefined: bool = False, **kw: Any
) -> Definition:
    values = tuple(AllowedValue(v, active) for v, active in kw.pop("values", ()))
    return Definition(
        id=f"Eng_{type_}{'s' if collection else ''}",
        attribute_set="Eng",
        name=f"{type_}{'s' if collection else ''}",
        type=type_,
        is_collection=collection,
        is_searchable=True,
        use_predefined_only=predefined,
        allowed_values=values,
        **kw,
    )


TEXT = _definition("String")
TEXTS = _definition("String", collection=True)
NUMBER = _definition("Integer")
NUMBERS = _definition("Integer", collection=True)
FLAG = _definition("Boolean")
PICK = _definition(
    "String", collection=True, predefined=True, values=[("A", True), ("B", True), ("Old", False)]
)


def _holding(definition: Definition, value: Any, **more: Any) -> DirectoryObject:
    values: dict[str, Any] = {"Eng": {definition.name: value}} if value is not None else {}
    for name, held in more.items():
        values.setdefault("Eng", {})[name] = held
    return DirectoryObject(id="1", kind=Kind.MEMBER, display_name="Pat", values=values)


CASES = [
    # definition, operation, holds, given, state, would hold
    (TEXT, Operation.SET, None, "x", ItemState.CHANGE, "x"),
    (TEXT, Operation.SET, "x", "x", ItemState.UNCHANGED, "x"),
    (TEXT, Operation.CLEAR, "x", None, ItemState.CHANGE, None),
    (TEXT, Operation.CLEAR, None, None, ItemState.UNCHANGED, None),
    (TEXTS, Operation.SET, ["a"], ["b", "c"], ItemState.CHANGE, ["b", "c"]),
    (TEXTS, Operation.SET, ["c", "b"], ["b", "c"], ItemState.UNCHANGED, ["c", "b"]),
    (TEXTS, Operation.ADD, ["a"], ["b"], ItemState.CHANGE, ["a", "b"]),
    (TEXTS, Operation.ADD, ["a", "b"], ["b"], ItemState.UNCHANGED, ["a", "b"]),
    (TEXTS, Operation.ADD, None, ["b"], ItemState.CHANGE, ["b"]),
    (TEXTS, Operation.REMOVE, ["a", "b"], ["b"], ItemState.CHANGE, ["a"]),
    (TEXTS, Operation.REMOVE, ["b"], ["b"], ItemState.CHANGE, None),
    (TEXTS, Operation.REMOVE, ["a"], ["b"], ItemState.UNCHANGED, ["a"]),
    (NUMBER, Operation.SET, 3, 4, ItemState.CHANGE, 4),
    (NUMBER, Operation.SET, 4, 4, ItemState.UNCHANGED, 4),
    (NUMBERS, Operation.ADD, [1], [2, 1], ItemState.CHANGE, [1, 2]),
    (NUMBERS, Operation.REMOVE, [1, 2], [2], ItemState.CHANGE, [1]),
    (FLAG, Operation.SET, False, True, ItemState.CHANGE, True),
    (FLAG, Operation.SET, None, False, ItemState.CHANGE, False),
    (FLAG, Operation.SET, True, True, ItemState.UNCHANGED, True),
    (FLAG, Operation.CLEAR, True, None, ItemState.CHANGE, None),
    (PICK, Operation.ADD, ["A"], ["B"], ItemState.CHANGE, ["A", "B"]),
    # A deactivated value the object holds may stay, and may be removed...
    (PICK, Operation.ADD, ["Old"], ["A"], ItemState.CHANGE, ["Old", "A"]),
    (PICK, Operation.REMOVE, ["Old", "A"], ["Old"], ItemState.CHANGE, ["A"]),
    (PICK, Operation.IMPORT, ["A"], ["B"], ItemState.CHANGE, ["B"]),
    (PICK, Operation.IMPORT, ["A"], None, ItemState.CHANGE, None),
]


@pytest.mark.parametrize(("definition", "operation", "holds", "given", "state", "after"), CASES)
def test_every_operation_on_every_shape(
    definition: Definition, operation: str, holds: Any, given: Any, state: str, after: Any
) -> None:
    planned = plan(operation, definition, _holding(definition, holds), given)
    assert (planned.state, planned.before, planned.after, planned.message) == (
        state, holds, after, ""
    )  # fmt: skip


def test_a_deactivated_value_is_never_given() -> None:
    planned = plan(Operation.ADD, PICK, _holding(PICK, ["A"]), ["Old"])
    assert (planned.state, planned.problem) == (ItemState.REFUSED, "not_predefined")
    assert planned.message.startswith("'Old' is not an active predefined value of Strings.")


def test_a_deactivated_attribute_keeps_or_loses_its_values_but_changes_no_more() -> None:
    retired = _definition("String", collection=True, status="Deprecated")
    changed = plan(Operation.ADD, retired, _holding(retired, ["a"]), ["b"])
    assert (changed.state, changed.problem) == (ItemState.REFUSED, "deactivated")
    assert "is deactivated" in changed.message
    cleared = plan(Operation.CLEAR, retired, _holding(retired, ["a"]), None)
    assert cleared.state == ItemState.CHANGE


def test_the_fifty_values_limit_counts_every_attribute_of_the_object() -> None:
    crowded = _holding(TEXTS, [str(i) for i in range(40)], Other=[f"o{i}" for i in range(9)])
    fits = plan(Operation.ADD, TEXTS, crowded, ["x"])
    assert fits.state == ItemState.CHANGE
    over = plan(Operation.ADD, TEXTS, crowded, ["x", "y"])
    assert (over.state, over.problem) == (ItemState.REFUSED, "values_limit")
    assert "51 values on Pat" in over.message


def test_without_the_role_for_the_set_it_is_refused_with_the_reason() -> None:
    planned = plan(
        Operation.SET,
        TEXT,
        _holding(TEXT, None),
        "x",
        why_not="Needs Attribute Assignment Administrator for Eng.",
    )
    assert (planned.state, planned.problem, planned.message) == (
        ItemState.REFUSED, "not_permitted", "Needs Attribute Assignment Administrator for Eng."
    )  # fmt: skip
    # What is already as asked needs no role: it is not written.
    same = plan(Operation.SET, TEXT, _holding(TEXT, "x"), "x", why_not="no")
    assert same.state == ItemState.UNCHANGED


def test_apply_keeps_a_value_someone_added_since_the_dry_run() -> None:
    # The job applies the operation again to what the object holds when it is sent.
    assert apply(Operation.ADD, TEXTS, ["a", "theirs"], ["b"]) == ["a", "theirs", "b"]
    assert apply(Operation.REMOVE, TEXTS, ["a", "theirs"], ["a"]) == ["theirs"]
