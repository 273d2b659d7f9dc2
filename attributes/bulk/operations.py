"""What a bulk change does to one object's value of one attribute, and whether it may.

- Set: the object holds the given value (for a multi-valued attribute, exactly the given
  values), whatever it held.
- Add, remove (multi-valued attributes only): the given values join, or leave, what the
  object holds; the rest stays.
- Clear: the object holds no value.
- Import: the object holds what its row in the uploaded file says, no value for an empty
  cell.

`plan` applies the operation to what the object holds and judges the result by the rules
every assignment keeps (attributes.assignment_rules) and by the person's roles, so the dry
run refuses, before anything is written, what Graph would refuse. The job applies the
same operation again to what the object holds when it is sent (`apply`), so a value added
by someone else meanwhile is kept, not overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass

from attributes import assignment_rules
from attributes.assignment_rules import items_of, normal
from attributes.directory import Definition
from attributes.models import ItemState, Operation
from attributes.objects import DirectoryObject, Value

COLLECTION_ONLY = (Operation.ADD, Operation.REMOVE)


@dataclass(frozen=True)
class Planned:
    state: ItemState
    before: Value | None
    after: Value | None
    problem: str = ""  # a short code, counted in the summary
    message: str = ""


# The codes a refusal is counted by, and how the summary names them.
PROBLEMS = {
    "not_permitted": "Your roles do not allow assigning this set",
    "not_found": "No such user or service principal",
    "deactivated": "The attribute is deactivated",
    "values_limit": "More than 50 values on the object",
    "not_predefined": "Not an active predefined value",
    "rule": "Breaks another of Graph's rules",
    "changed": "Changed by someone else meanwhile",
}


def apply(
    operation: str, definition: Definition, held: Value | None, given: Value | None
) -> Value | None:
    """What the object holds once the operation is applied to what it holds now."""
    if operation == Operation.CLEAR:
        return None
    if operation in {Operation.SET, Operation.IMPORT}:
        return None if normal(given) is None else given
    current, named = items_of(held), items_of(given)
    if operation == Operation.ADD:
        result = current + [v for v in named if v not in current]
    else:
        result = [v for v in current if v not in named]
    return result or None  # type: ignore[return-value]


def plan(
    operation: str,
    definition: Definition,
    target: DirectoryObject,
    given: Value | None,
    *,
    why_not: str = "",
) -> Planned:
    """The dry run's verdict on one object. `why_not` is why the person's roles do not
    allow assigning the definition's set (empty when they do)."""
    held = target.value(definition.attribute_set, definition.name)
    after = apply(operation, definition, held, given)
    if normal(after) == normal(held):
        return Planned(ItemState.UNCHANGED, held, held)
    if why_not:
        return Planned(ItemState.REFUSED, held, after, "not_permitted", why_not)
    texts = ["true" if v is True else "false" if v is False else str(v) for v in items_of(after)]
    if problems := assignment_rules.change_problems(definition, target, after):
        code = "deactivated" if not definition.is_active else "values_limit"
        return Planned(ItemState.REFUSED, held, after, code, problems[0])
    if problems := assignment_rules.predefined_problems(definition, texts, held):
        return Planned(ItemState.REFUSED, held, after, "not_predefined", problems[0])
    if problems := assignment_rules.value_problems(definition, texts, held):
        return Planned(ItemState.REFUSED, held, after, "rule", " ".join(problems))
    return Planned(ItemState.CHANGE, held, after)
