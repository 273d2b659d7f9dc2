"""Custom security attribute values on users and service principals: reading and PATCH.

PATCH merges per attribute: only the attributes sent change, a multi-valued attribute's
list is replaced, `null` (or `[]` for multi-valued ones) removes it. Every attribute in the
request is validated before anything is written, so a request applies completely or not
at all (graph-api.md §1.4 and §3). A set whose last attribute is removed is kept, empty, so
the `empty_values` switch can read it as gone or as `{}` (§11.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.graph import access, audits
from emulator.graph.access import SetScope
from emulator.graph.context import GraphContext
from emulator.graph.errors import bad_request, forbidden
from emulator.server.switches import EMPTY_AS_NULL, EMPTY_AS_OBJECT
from emulator.tenant.model import AttributeDefinition, CsaAssignments, CsaValue, DirectoryObject

RESPONSE_SET_TYPE = "#microsoft.graph.customSecurityAttributeValue"
REQUEST_SET_TYPES = (
    "#microsoft.directoryservices.customsecurityattributevalue",
    "#microsoft.graph.customsecurityattributevalue",
)
ANNOTATION = "@odata.type"
MAX_VALUE_LENGTH = 64
MAX_VALUES_PER_OBJECT = 50
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_SINGLE_ANNOTATIONS = {
    "String": (None, "#String"),
    "Integer": ("#Int32",),
    "Boolean": (None, "#Boolean"),
}
_COLLECTION_ANNOTATIONS = {"String": "#Collection(String)", "Integer": "#Collection(Int32)"}


# -- reading -----------------------------------------------------------------------------


def render(
    csa: CsaAssignments, visible: SetScope, empty_values: str = EMPTY_AS_NULL
) -> dict[str, Any] | None:
    """The response shape: one object per visible set, collections annotated. When nothing
    is assigned or visible it is `None`, or `{}` with `empty_values` "{}", which also keeps
    emptied sets as objects holding only their `@odata.type`."""
    keep_empty = empty_values == EMPTY_AS_OBJECT
    rendered: dict[str, Any] = {}
    for set_name, attributes in csa.items():
        if not visible.covers(set_name) or not (attributes or keep_empty):
            continue
        block: dict[str, Any] = {ANNOTATION: RESPONSE_SET_TYPE}
        for name, value in attributes.items():
            if isinstance(value, list):
                element = "Int32" if value and isinstance(value[0], int) else "String"
                block[f"{name}{ANNOTATION}"] = f"#Collection({element})"
            block[name] = value
        rendered[set_name] = block
    return rendered if rendered or keep_empty else None


def visible_scope(ctx: GraphContext) -> SetScope | None:
    """The sets whose values this caller sees: none without the scope, the role, or as a
    guest."""
    if not access.has_scope(ctx.caller, access.ASSIGNMENT_READ):
        return None
    me = ctx.me
    if me is not None and me.properties.get("userType") == "Guest":
        return None
    return ctx.access.read_assignments if ctx.access.read_assignments.granted else None


def visible_values(ctx: GraphContext, principal: DirectoryObject) -> dict[str, Any] | None:
    """What this caller sees of an object's values."""
    scope = visible_scope(ctx)
    if scope is None:
        return None
    return render(principal.csa, scope, ctx.settings.empty_values)


# -- writing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeChange:
    definition: AttributeDefinition
    old: CsaValue | None
    new: CsaValue | None  # None removes the attribute


def update(ctx: GraphContext, principal: DirectoryObject, payload: Any) -> None:
    """Validate and apply a `customSecurityAttributes` PATCH, and audit it."""
    access.require_scope(ctx.caller, access.ASSIGNMENT_WRITE)
    access.require(ctx.access.assign.granted)
    if not isinstance(payload, dict):
        raise bad_request(
            "Property 'customSecurityAttributes' must be an object keyed by attribute set name."
        )
    changes = [
        change
        for set_key, block in payload.items()
        if not set_key.startswith("@")
        for change in _plan_set(ctx, principal, set_key, block)
    ]
    merged = _merged(principal.csa, changes)
    total = sum(len(v) if isinstance(v, list) else 1 for a in merged.values() for v in a.values())
    if total > MAX_VALUES_PER_OBJECT:
        raise bad_request(
            f"'{principal.display_name}' would have {total} custom security attribute values; "
            f"an object can have at most {MAX_VALUES_PER_OBJECT} in total across all attributes."
        )
    if not changes:
        return
    previous, principal.csa = principal.csa, merged
    ctx.index.written(principal, previous)
    ctx.tenant.touch()
    _audit(ctx, principal, changes)


def _plan_set(
    ctx: GraphContext, principal: DirectoryObject, set_key: str, block: Any
) -> list[AttributeChange]:
    if isinstance(block, str):
        # The real service accepts a JSON-encoded string here and changes nothing
        # (graph-api.md §1.4, msgraph-beta-sdk-dotnet#616); so does the emulator.
        return []
    if not ctx.access.assign.covers(set_key):
        raise forbidden()
    attribute_set = ctx.tenant.find_set(set_key)
    if attribute_set is None:
        raise bad_request(
            f"Invalid property '{set_key}': there is no attribute set named '{set_key}'."
        )
    if not isinstance(block, dict):
        raise bad_request(
            f"Invalid value for attribute set '{attribute_set.id}': expected an object of "
            "attribute values."
        )
    set_type = block.get(ANNOTATION)
    if set_type is not None and str(set_type).lower() not in REQUEST_SET_TYPES:
        raise bad_request(
            f"Invalid '@odata.type' {set_type!r} for attribute set '{attribute_set.id}': use "
            "'#Microsoft.DirectoryServices.CustomSecurityAttributeValue'."
        )
    changes = []
    for key, value in block.items():
        if key == ANNOTATION:
            continue
        if key.endswith(ANNOTATION):
            if key.removesuffix(ANNOTATION) not in block:
                raise bad_request(
                    f"Annotation '{key}' in attribute set '{attribute_set.id}' has no value next to it."
                )
            continue
        definition = ctx.tenant.find_definition_in_set(attribute_set.id, key)
        if definition is None:
            raise bad_request(
                f"Invalid property '{key}': attribute set '{attribute_set.id}' has no attribute "
                f"named '{key}'."
            )
        new = _coerce(definition, value, block.get(f"{key}{ANNOTATION}"))
        old = principal.csa.get(definition.attribute_set, {}).get(definition.name)
        if new is not None:
            _check_assignable(definition, new, old)
        if new != old:
            changes.append(AttributeChange(definition, old, new))
    return changes


def _label(definition: AttributeDefinition) -> str:
    return f"attribute '{definition.name}' of attribute set '{definition.attribute_set}'"


def _coerce(definition: AttributeDefinition, value: Any, annotation: Any) -> CsaValue | None:
    """Check the wire type and annotation; the stored value, or None to remove."""
    if value is None:
        return None
    if definition.is_collection:
        return _coerce_collection(definition, value, annotation)
    if isinstance(value, list):
        raise bad_request(f"The {_label(definition)} is single-valued: send one value, not a list.")
    if annotation not in _SINGLE_ANNOTATIONS[definition.type]:
        if definition.type == "Integer":
            raise bad_request(
                f"The {_label(definition)} is an Integer: send it with "
                f"'{definition.name}@odata.type': '#Int32'."
            )
        raise bad_request(
            f"Annotation {annotation!r} does not match the {definition.type} {_label(definition)}."
        )
    return _check_element(definition, value)


def _coerce_collection(
    definition: AttributeDefinition, value: Any, annotation: Any
) -> CsaValue | None:
    expected = _COLLECTION_ANNOTATIONS[definition.type]
    if not isinstance(value, list):
        raise bad_request(
            f"The {_label(definition)} is multi-valued: send a list with "
            f"'{definition.name}@odata.type': '{expected}'."
        )
    if annotation != expected:
        raise bad_request(
            f"The {_label(definition)} is a collection of {definition.type} values: send it "
            f"with '{definition.name}@odata.type': '{expected}'."
        )
    if not value:
        return None
    elements = [_check_element(definition, element) for element in value]
    duplicates = sorted({str(e) for e in elements if elements.count(e) > 1})
    if duplicates:
        raise bad_request(f"The {_label(definition)} lists '{duplicates[0]}' more than once.")
    return elements  # type: ignore[return-value]


def _check_element(definition: AttributeDefinition, value: Any) -> Any:
    if definition.type == "Boolean":
        if not isinstance(value, bool):
            raise bad_request(f"The {_label(definition)} is Boolean: send true or false.")
        return value
    if definition.type == "Integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(
                f"The {_label(definition)} is an Integer: {value!r} is not a whole number."
            )
        if not INT32_MIN <= value <= INT32_MAX:
            raise bad_request(
                f"The value {value} of the {_label(definition)} is outside the 32-bit integer range."
            )
        return value
    if not isinstance(value, str):
        raise bad_request(f"The {_label(definition)} is a String: {value!r} is not a string.")
    if not value:
        raise bad_request(
            f"The {_label(definition)} cannot be set to an empty string; use null to remove it."
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise bad_request(
            f"The value '{value[:20]}…' of the {_label(definition)} is {len(value)} characters "
            f"long; values are limited to {MAX_VALUE_LENGTH}."
        )
    return value


def _check_assignable(definition: AttributeDefinition, new: CsaValue, old: CsaValue | None) -> None:
    if not definition.is_active and new != old:
        raise bad_request(
            f"The {_label(definition)} is deactivated: its values can be removed but not "
            "assigned or changed."
        )
    if not definition.use_predefined_values_only:
        return
    kept = set(_as_list(old))
    for element in _as_list(new):
        if element in kept:
            continue  # keeping a value that has since been deactivated is allowed
        allowed = definition.allowed_values.get(str(element))
        if allowed is None:
            choices = ", ".join(v.id for v in definition.allowed_values.values() if v.is_active)
            raise bad_request(
                f"'{element}' is not one of the predefined values of the {_label(definition)}. "
                f"Allowed values: {choices}."
            )
        if not allowed.is_active:
            raise bad_request(
                f"The value '{element}' of the {_label(definition)} is deactivated and cannot be "
                "assigned to more objects."
            )


def _as_list(value: CsaValue | None) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _merged(csa: CsaAssignments, changes: list[AttributeChange]) -> CsaAssignments:
    """A new assignment map; the stored one is never changed in place. An emptied set stays
    as an empty map: `render` decides whether it reads as gone or as `{}`."""
    merged = {set_name: dict(values) for set_name, values in csa.items()}
    for change in changes:
        definition = change.definition
        attributes = merged.setdefault(definition.attribute_set, {})
        if change.new is None:
            attributes.pop(definition.name, None)
        else:
            attributes[definition.name] = change.new
    return merged


def _audit(ctx: GraphContext, principal: DirectoryObject, changes: list[AttributeChange]) -> None:
    if all(c.old is None for c in changes):
        operation = "Assign"
    elif all(c.new is None for c in changes):
        operation = "Unassign"
    else:
        operation = "Update"
    activity = audits.UPDATE_USER_VALUES if principal.kind == "user" else audits.UPDATE_SP_VALUES
    recorded = [audits.Change(c.definition.id, _as_list(c.old), _as_list(c.new)) for c in changes]
    audits.record(ctx, activity, operation, audits.principal_target(principal), recorded)
