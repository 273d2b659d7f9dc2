"""Graph's rules for attribute sets, definitions and predefined values (graph-api.md §3).

Each check returns a list of messages a person can act on, naming what was wrong.
The forms use them so nothing reaches Graph that Graph would refuse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

NAME_MAX = 32
DESCRIPTION_MAX = 128
VALUE_MAX = 64
PREDEFINED_VALUES_MAX = 100
SETS_PER_TENANT = 500
ACTIVE_DEFINITIONS_PER_TENANT = 500
MAX_ATTRIBUTES_PER_SET = 500
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# Characters Entra forbids in set and attribute names (besides spaces).
NAME_FORBIDDEN = frozenset("`~!@#$%^&*()_-+={[}]|\\:;\"'<,>.?/")
# Characters forbidden in predefined values: the 2021 list, and a value is a URL segment.
VALUE_FORBIDDEN = frozenset('#%&*+\\:"/<>?')


def _invisible(char: str) -> bool:
    # Control and format characters (e.g. RTL marks) would make two names look alike.
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}


def _shown(chars: Iterable[str]) -> str:
    names = []
    for char in sorted(set(chars)):
        if char == " ":
            names.append("spaces")
        elif _invisible(char) or char.isspace():
            names.append(f"U+{ord(char):04X}")
        else:
            names.append(char)
    return " ".join(names)


def name_errors(value: str, *, what: str) -> list[str]:
    """Rules for set and attribute names: 1-32 characters, no spaces or specials, no leading digit."""
    errors = []
    if not value:
        return [f"Enter a name for the {what}."]
    if len(value) > NAME_MAX:
        errors.append(f"The name is {len(value)} characters long; the limit is {NAME_MAX}.")
    bad = [c for c in value if c in NAME_FORBIDDEN or c.isspace() or _invisible(c)]
    if bad:
        errors.append(
            f"The name cannot contain {_shown(bad)}. Use letters and digits only "
            "(any language), e.g. ProjectCode."
        )
    if value[0].isdigit():
        errors.append("The name cannot start with a digit.")
    return errors


def unique_name_errors(value: str, existing: Iterable[str], *, what: str) -> list[str]:
    taken = next((name for name in existing if name.casefold() == value.casefold()), None)
    if taken is None:
        return []
    same = "" if taken == value else f" as {taken!r} (names are unique regardless of case)"
    return [f"There is already {what} named {value!r}{same}. Choose another name."]


def new_name_errors(
    value: str, existing: Callable[[], Iterable[str]], *, what: str, among: str
) -> list[str]:
    """A name for a new set or attribute: the naming rules, then (only if they pass, since
    it may cost a Graph call) uniqueness among `existing()`."""
    return name_errors(value, what=what) or unique_name_errors(value, existing(), what=among)


# Direction marks only set the direction of what is next to them; they never reorder text.
_DIRECTION_MARKS = "\u200e\u200f"


def _hidden(value: str, *, allowed: str = "") -> list[str]:
    return [c for c in value if _invisible(c) and c not in _DIRECTION_MARKS + allowed]


def text_errors(value: str, *, what: str, allowed: str = "") -> list[str]:
    """Free text a person types: no invisible characters, which can reorder or hide text."""
    if hidden := _hidden(value, allowed=allowed):
        return [
            f"The {what} contains {_shown(hidden)}, invisible characters that can reorder or "
            "hide text around them; remove them."
        ]
    return []


def hidden_characters_note(value: str) -> str:
    """Tells a person which invisible characters a text from Graph holds ("" if none)."""
    if hidden := _hidden(value):
        return (
            f"It holds invisible characters ({_shown(hidden)}). Saved unchanged, it keeps them; "
            "to change it, remove them."
        )
    return ""


def description_errors(value: str) -> list[str]:
    if len(value) > DESCRIPTION_MAX:
        return [f"The description is {len(value)} characters long; the limit is {DESCRIPTION_MAX}."]
    return text_errors(value, what="description")


def max_attributes_errors(value: int | None, *, in_use: int = 0) -> list[str]:
    if value is None:
        return []
    if not 1 <= value <= MAX_ATTRIBUTES_PER_SET:
        return [f"The maximum must be between 1 and {MAX_ATTRIBUTES_PER_SET}."]
    if value < in_use:
        return [
            f"The set has {in_use} active attributes; the maximum cannot be lower than that. "
            "Deactivate attributes first if you need a lower maximum."
        ]
    return []


def capacity_errors(*, tenant_active: int, set_active: int, set_max: int | None) -> list[str]:
    """Whether one more active attribute fits the tenant's 500 and the set's maximum."""
    errors = []
    if tenant_active >= ACTIVE_DEFINITIONS_PER_TENANT:
        errors.append(
            f"The tenant already has {tenant_active} active attributes, the most Entra allows. "
            "Deactivate one first."
        )
    if set_max is not None and set_active >= set_max:
        errors.append(
            f"This set already has {set_active} active attributes, its maximum. Raise the set's "
            "maximum or deactivate one of its attributes first."
        )
    return errors


def set_capacity_errors(*, sets: int) -> list[str]:
    if sets >= SETS_PER_TENANT:
        return [f"The tenant already has {sets} attribute sets, the most Entra allows."]
    return []


def value_errors(value: str, *, type_: str) -> list[str]:
    """Rules for one predefined value of a String or Integer attribute."""
    if value == "":
        return ["A predefined value cannot be empty."]
    if len(value) > VALUE_MAX:
        return [f"{value[:20]!r}… is {len(value)} characters long; the limit is {VALUE_MAX}."]
    if value != value.strip():
        return [f"{value!r} starts or ends with a space; remove it."]
    if value in {".", ".."}:
        return [
            f"{value!r} cannot be a predefined value: a value made only of dots would be read "
            "as a step in a web address (. or ..). Use letters or digits."
        ]
    bad = [c for c in value if c in VALUE_FORBIDDEN or _invisible(c)]
    if bad:
        return [f"{value!r} contains {_shown(bad)}, which predefined values cannot contain."]
    if type_ == "Integer":
        if not re.fullmatch(r"-?\d+", value):
            return [f"{value!r} is not a whole number, and this attribute holds integers."]
        if not INT32_MIN <= int(value) <= INT32_MAX:
            return [f"{value} is outside the 32-bit integer range."]
        if value != str(int(value)):
            return [f"Write {value!r} as {int(value)}, without leading zeros."]
    return []


def assigned_value_errors(value: str, *, type_: str) -> list[str]:
    """Rules for one value assigned to an object (not a predefined value's id)."""
    if value == "":
        return ["Enter a value."]
    if len(value) > VALUE_MAX:
        return [f"{value[:20]!r}… is {len(value)} characters long; the limit is {VALUE_MAX}."]
    if any(unicodedata.category(c) == "Cc" for c in value):
        return [f"{value!r} contains a control character (such as a line break); remove it."]
    if type_ == "Integer":
        if not re.fullmatch(r"[+-]?\d+", value):
            return [f"{value!r} is not a whole number, and this attribute holds integers."]
        if not INT32_MIN <= int(value) <= INT32_MAX:
            return [f"{value} is outside the 32-bit integer range (-2147483648 to 2147483647)."]
    return []


@dataclass
class ValueList:
    """A pasted list of predefined values, checked as a whole."""

    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    case_variants: list[str] = field(default_factory=list)


def parse_values(
    text: str, *, type_: str, existing: Iterable[str] = (), limit: int = PREDEFINED_VALUES_MAX
) -> ValueList:
    """One value per line. Checks each value, duplicates and the 100-value limit."""
    result = ValueList()
    existing = list(existing)
    seen = set(existing)
    folded = {v.casefold(): v for v in existing}
    for line in text.splitlines():
        value = line.strip()
        if not value:
            continue
        if value in seen:
            result.duplicates.append(value)
            continue
        problems = value_errors(value, type_=type_)
        if problems:
            result.errors.extend(problems)
            continue
        if value.casefold() in folded:
            result.case_variants.append(f"{value} / {folded[value.casefold()]}")
        seen.add(value)
        folded[value.casefold()] = value
        result.values.append(value)
    if result.duplicates:
        result.errors.append(
            "Listed more than once or already defined: " + ", ".join(result.duplicates) + "."
        )
    total = len(existing) + len(result.values)
    if total > limit:
        result.errors.append(
            f"That makes {total} predefined values; an attribute can have at most {limit}"
            + (f" ({len(existing)} exist already)." if existing else ".")
        )
    return result
