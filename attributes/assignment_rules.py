"""Graph's rules for the values given to one attribute of one object (graph-api.md §3),
for every way the portal assigns: the assignment form, the bulk operations and the CSV
import. Each check returns messages a person can act on; nothing that breaks them is
sent to Graph.

- Each value: its type (whole numbers in the 32-bit range for Integer), at most 64
  characters, no control characters.
- A multi-valued attribute lists each value once; a single-valued one holds one.
- A predefined-only attribute takes only its active predefined values, except that an
  object may keep the deactivated ones it already holds.
- A deactivated attribute's values can stay or be removed, never be given or changed.
- An object holds at most 50 values across all its attributes, each element of a
  collection counting.
"""

from __future__ import annotations

from collections.abc import Sequence

from attributes import validators
from attributes.directory import Definition
from attributes.objects import VALUES_PER_OBJECT, DirectoryObject, Value


def items_of(value: Value | None) -> list[str | int | bool]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def normal(value: Value | None) -> object:
    """A value as compared: order in a collection does not matter, and "nothing assigned"
    is None whether Graph said null, [] or {} (graph-api.md §11.3)."""
    if value is None or value == []:
        return None
    return sorted(value, key=str) if isinstance(value, list) else value


def value_problems(
    definition: Definition, texts: Sequence[str], held: Value | None = None
) -> list[str]:
    """What is wrong with giving these values (as typed) to the attribute."""
    if definition.type == "Boolean":
        wrong = [t for t in texts if t not in {"true", "false"}]
        if wrong or len(texts) > 1:
            return [f"{definition.name} is true or false; {', '.join(map(repr, texts))} is not."]
        return []
    problems = [
        p for text in texts for p in validators.assigned_value_errors(text, type_=definition.type)
    ]
    if len(texts) > 1 and not definition.is_collection:
        problems.append(f"{definition.name} holds one value, not {len(texts)}.")
    if duplicates := sorted({t for t in texts if texts.count(t) > 1}):
        problems.append(f"Listed more than once: {', '.join(duplicates)}.")
    return problems or predefined_problems(definition, texts, held)


def predefined_problems(
    definition: Definition, texts: Sequence[str], held: Value | None = None
) -> list[str]:
    """A predefined-only attribute takes its active values, and keeps deactivated ones
    the object already holds."""
    if not definition.use_predefined_only:
        return []
    allowed = {v.id for v in definition.active_values} | {str(v) for v in items_of(held)}
    if unknown := [t for t in texts if t not in allowed]:
        return [
            f"{', '.join(repr(t) for t in unknown)} is not an active predefined value of "
            f"{definition.name}. Choose from: "
            f"{', '.join(v.id for v in definition.active_values)}."
        ]
    return []


def typed(definition: Definition, texts: Sequence[str]) -> Value | None:
    """Checked values as Graph takes them; None for none."""
    if not texts:
        return None
    if definition.type == "Boolean":
        return texts[0] == "true"
    converted = [int(t) for t in texts] if definition.type == "Integer" else list(texts)
    if definition.is_collection:
        return converted
    return converted[0]


def change_problems(
    definition: Definition, target: DirectoryObject, value: Value | None
) -> list[str]:
    """What is wrong with the object holding `value` instead of what it holds now."""
    held = target.value(definition.attribute_set, definition.name)
    if normal(held) == normal(value):
        return []
    if not definition.is_active and value is not None:
        return [
            f"{definition.name} is deactivated: it cannot be given new values or changed. "
            "Its values can stay as they are, or be removed."
        ]
    used = target.values_used - len(items_of(held)) + len(items_of(value))
    if used > VALUES_PER_OBJECT:
        return [
            f"That makes {used} values on {target.name}; Entra allows at most "
            f"{VALUES_PER_OBJECT} per object across all attributes. Remove some first."
        ]
    return []
