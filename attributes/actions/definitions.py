"""Attribute definitions and their predefined values (graph-api.md §2.1, rows 7-12).

Every action here takes `current`, the definition as the view read it from Graph in
this request, so a change costs its one write and no second read.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.html import format_html, format_html_join

from attributes import directory
from attributes.actions import StaleEdit, fields_match
from attributes.audit import Actor, Target, applied_check, record_change
from attributes.directory import AVAILABLE, DEFINITIONS, DEPRECATED, AllowedValue, Definition
from attributes.models import Action, AuditRecord, TargetType
from portal.graph import GraphClient, NotFound, segment
from portal.isolation import isolated

# Adding several predefined values in one PATCH needs OData 4.01 delta syntax.
DELTA_HEADERS = {"OData-Version": "4.01"}


def _path(definition: Definition) -> str:
    return f"{DEFINITIONS}/{segment(definition.id)}"


def _about(definition: Definition) -> dict[str, Any]:
    """What every audit record of a definition change says about its target."""
    return {
        "target": Target(TargetType.DEFINITION, definition.id, definition.name),
        "attribute_set": definition.attribute_set,
        "attribute": definition.name,
    }


def create_definition(
    *,
    graph: GraphClient,
    actor: Actor,
    attribute_set: str,
    name: str,
    description: str,
    type_: str,
    is_collection: bool,
    is_searchable: bool,
    use_predefined_only: bool,
    values: list[str],
    reason: str,
) -> Definition:
    body: dict[str, Any] = {
        "attributeSet": attribute_set,
        "name": name,
        "description": description or None,
        "type": type_,
        "isCollection": is_collection,
        "isSearchable": is_searchable,
        "status": AVAILABLE,
        "usePreDefinedValuesOnly": use_predefined_only,
    }
    if values:
        body["allowedValues"] = [{"id": v, "isActive": True} for v in values]
    new = Definition(
        id=f"{attribute_set}_{name}",
        attribute_set=attribute_set,
        name=name,
        type=type_,
        is_collection=is_collection,
        is_searchable=is_searchable,
        description=description,
        use_predefined_only=use_predefined_only,
        allowed_values=tuple(AllowedValue(v) for v in values),
    )
    after = {
        "type": type_,
        "isCollection": is_collection,
        "isSearchable": is_searchable,
        **new.as_audit(),
        "allowedValues": values,
    }
    with record_change(
        actor=actor,
        action=Action.DEFINITION_CREATED,
        **_about(new),
        after=after,
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(
            graph.create(
                DEFINITIONS,
                body,
                find_existing=lambda: _definition_or_none(graph, attribute_set, name),
            )
        )
    return new


def _definition_or_none(graph: GraphClient, attribute_set: str, name: str) -> dict[str, Any] | None:
    definition = directory.get_definition(graph, attribute_set, name)
    return {"id": definition.id} if definition else None


def update_definition(
    *,
    graph: GraphClient,
    actor: Actor,
    current: Definition,
    seen: Definition,
    description: str,
    allow_other_values: bool,
    reason: str,
) -> Definition:
    """Changes the description, or relaxes "predefined values only" (one way)."""
    if current.as_audit() != seen.as_audit():
        raise StaleEdit(current, format_html("The attribute {}", isolated(seen.name)))
    body: dict[str, Any] = {}
    if description != current.description:
        body["description"] = description or None
    if allow_other_values and current.use_predefined_only:
        body["usePreDefinedValuesOnly"] = False
    if not body:
        return current
    updated = replace(
        current,
        description=description,
        use_predefined_only=current.use_predefined_only and not allow_other_values,
    )
    path = _path(current)
    with record_change(
        actor=actor,
        action=Action.DEFINITION_UPDATED,
        **_about(current),
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(graph.patch(path, body))
    return updated


def set_definition_status(
    *, graph: GraphClient, actor: Actor, current: Definition, active: bool, reason: str
) -> Definition:
    """Deactivates (status Deprecated) or reactivates a definition; assignments stay."""
    status = AVAILABLE if active else DEPRECATED
    if current.status == status:
        raise StaleEdit(current, format_html("The attribute {}", isolated(current.name)))
    updated = replace(current, status=status)
    path = _path(current)
    with record_change(
        actor=actor,
        action=Action.DEFINITION_REACTIVATED if active else Action.DEFINITION_DEACTIVATED,
        **_about(current),
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(graph.patch(path, {"status": status}))
    return updated


def add_values(
    *, graph: GraphClient, actor: Actor, current: Definition, values: list[str], reason: str
) -> Definition:
    """Adds predefined values: one with a POST, several in one `allowedValues@delta` PATCH."""
    already = {v.id for v in current.allowed_values}
    if clash := [v for v in values if v in already]:
        names = format_html_join(", ", "{}", ((isolated(v),) for v in clash))
        raise StaleEdit(current, format_html("The values {} of {}", names, isolated(current.name)))
    new = [{"id": v, "isActive": True} for v in values]
    path = _path(current)
    with record_change(
        actor=actor,
        action=Action.VALUE_ADDED,
        **_about(current),
        before={"allowedValues": sorted(already)},
        after={"added": values},
        reason=reason,
        graph=graph,
    ) as change:
        if len(new) == 1:
            change.wrote(
                graph.create(
                    f"{path}/allowedValues",
                    new[0],
                    find_existing=lambda: _value_or_none(graph, current, values[0]),
                )
            )
        else:
            change.wrote(graph.patch(path, {"allowedValues@delta": new}, headers=DELTA_HEADERS))
    return replace(
        current, allowed_values=current.allowed_values + tuple(AllowedValue(v) for v in values)
    )


def _value_or_none(graph: GraphClient, definition: Definition, value: str) -> dict[str, Any] | None:
    # The definition with its values, so the value itself never goes in a URL.
    found = directory.get_definition(graph, definition.attribute_set, definition.name)
    return {"id": value} if found and found.value(value) else None


def set_value_active(
    *,
    graph: GraphClient,
    actor: Actor,
    current: Definition,
    value: str,
    active: bool,
    reason: str,
) -> Definition:
    """Deactivates or reactivates one predefined value; objects holding it keep it.

    The value goes in the body of an `allowedValues@delta` PATCH of its definition, never
    in a URL: a value can be ".." or hold characters no path segment can carry.
    """
    existing = current.value(value)
    if existing is None:
        raise ValueError(f"{value!r} is not a predefined value of {current.name}.")
    if existing.is_active == active:
        raise StaleEdit(
            current, format_html("The value {} of {}", isolated(value), isolated(current.name))
        )
    path = _path(current)
    with record_change(
        actor=actor,
        action=Action.VALUE_REACTIVATED if active else Action.VALUE_DEACTIVATED,
        **_about(current),
        before={"value": value, "isActive": existing.is_active},
        after={"value": value, "isActive": active},
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(
            graph.patch(
                path,
                {"allowedValues@delta": [{"id": value, "isActive": active}]},
                headers=DELTA_HEADERS,
            )
        )
    return replace(
        current,
        allowed_values=tuple(
            AllowedValue(v.id, active) if v.id == value else v for v in current.allowed_values
        ),
    )


# Was it applied? ----------------------------------------------------------------------


def _definition_of(graph: GraphClient, record: AuditRecord) -> Definition | None:
    try:
        return directory.get_definition(graph, record.attribute_set, record.attribute)
    except NotFound:
        return None


@applied_check(Action.DEFINITION_CREATED)
def _definition_exists(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    if graph is None:
        return None
    return _definition_of(graph, record) is not None


@applied_check(
    Action.DEFINITION_UPDATED, Action.DEFINITION_DEACTIVATED, Action.DEFINITION_REACTIVATED
)
def _definition_has_its_recorded_fields(
    graph: GraphClient | None, record: AuditRecord
) -> bool | None:
    if graph is None:
        return None
    definition = _definition_of(graph, record)
    return definition is not None and fields_match(definition.as_audit(), record.after or {})


@applied_check(Action.VALUE_ADDED)
def _values_exist(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    if graph is None:
        return None
    definition = _definition_of(graph, record)
    added = (record.after or {}).get("added", [])
    return definition is not None and all(definition.value(v) is not None for v in added)


@applied_check(Action.VALUE_DEACTIVATED, Action.VALUE_REACTIVATED)
def _value_has_its_recorded_state(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    if graph is None:
        return None
    definition = _definition_of(graph, record)
    after = record.after or {}
    value = definition.value(after.get("value", "")) if definition else None
    return value is not None and value.is_active == after.get("isActive")
