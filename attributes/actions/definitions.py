"""Changes to attribute sets, definitions and predefined values (graph-api.md §2.1, rows 3-12)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from attributes import directory
from attributes.actions import StaleEdit
from attributes.audit import Actor, Change, Target, record_change
from attributes.directory import (
    AVAILABLE,
    DEFINITIONS,
    DEPRECATED,
    SETS,
    AllowedValue,
    AttributeSet,
    Definition,
)
from attributes.models import Action, TargetType
from attributes.reconcile import is_applied
from portal.graph import GraphClient, NotFound, segment

# Adding several predefined values in one PATCH needs OData 4.01 delta syntax.
DELTA_HEADERS = {"OData-Version": "4.01"}


def _set_target(name: str) -> Target:
    return Target(TargetType.ATTRIBUTE_SET, name, name)


def _definition_target(definition: Definition) -> Target:
    return Target(TargetType.DEFINITION, definition.id, definition.name)


def _fresh_definition(graph: GraphClient, seen: Definition) -> Definition:
    current = directory.get_definition(graph, seen.attribute_set, seen.name)
    if current is None:
        raise NotFound(f"The attribute {seen.id} no longer exists.", code="NotFound")
    return current


def _path(definition: Definition) -> str:
    return f"{DEFINITIONS}/{segment(definition.id)}"


def _recorded(
    graph: GraphClient,
    actor: Actor,
    action: Action,
    target: Target,
    *,
    attribute_set: str,
    attribute: str = "",
    before: Any = None,
    after: Any = None,
    reason: str,
) -> AbstractContextManager[Change]:
    """record_change for schema changes, settled by re-reading Graph when uncertain."""
    return record_change(
        actor=actor,
        action=action,
        target=target,
        attribute_set=attribute_set,
        attribute=attribute,
        before=before,
        after=after,
        reason=reason,
        graph=graph,
        is_applied=lambda record: is_applied(graph, record),
    )


def _definition_change(
    graph: GraphClient,
    actor: Actor,
    action: Action,
    definition: Definition,
    *,
    before: Any = None,
    after: Any = None,
    reason: str,
) -> AbstractContextManager[Change]:
    return _recorded(
        graph,
        actor,
        action,
        _definition_target(definition),
        attribute_set=definition.attribute_set,
        attribute=definition.name,
        before=before,
        after=after,
        reason=reason,
    )


def create_set(
    *,
    graph: GraphClient,
    actor: Actor,
    name: str,
    description: str,
    max_attributes: int | None,
    reason: str,
) -> AttributeSet:
    body: dict[str, Any] = {"id": name, "description": description or None}
    if max_attributes is not None:
        body["maxAttributesPerSet"] = max_attributes
    new = AttributeSet(name, description, max_attributes)
    with _recorded(
        graph,
        actor,
        Action.SET_CREATED,
        _set_target(name),
        attribute_set=name,
        after=new.as_audit(),
        reason=reason,
    ):
        created = graph.create(SETS, body, find_existing=lambda: _set_or_none(graph, name))
    return AttributeSet.from_graph(created) if created else new


def _set_or_none(graph: GraphClient, name: str) -> dict[str, Any] | None:
    try:
        return graph.get(f"{SETS}/{segment(name)}")
    except NotFound:
        return None


def update_set(
    *,
    graph: GraphClient,
    actor: Actor,
    seen: AttributeSet,
    description: str,
    max_attributes: int | None,
    reason: str,
) -> AttributeSet:
    current = directory.get_set(graph, seen.id)
    if current != seen:
        raise StaleEdit(current, f"The attribute set {seen.id}")
    updated = replace(current, description=description, max_attributes=max_attributes)
    if updated == current:
        return current
    with _recorded(
        graph,
        actor,
        Action.SET_UPDATED,
        _set_target(current.id),
        attribute_set=current.id,
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
    ):
        graph.patch(
            f"{SETS}/{segment(current.id)}",
            {"description": description or None, "maxAttributesPerSet": max_attributes},
        )
    return updated


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
    with _definition_change(
        graph, actor, Action.DEFINITION_CREATED, new, after=after, reason=reason
    ):
        graph.create(
            DEFINITIONS,
            body,
            find_existing=lambda: _definition_or_none(graph, attribute_set, name),
        )
    return new


def _definition_or_none(graph: GraphClient, attribute_set: str, name: str) -> dict[str, Any] | None:
    definition = directory.get_definition(graph, attribute_set, name)
    return {"id": definition.id} if definition else None


def update_definition(
    *,
    graph: GraphClient,
    actor: Actor,
    seen: Definition,
    description: str,
    allow_other_values: bool,
    reason: str,
) -> Definition:
    current = _fresh_definition(graph, seen)
    if current.as_audit() != seen.as_audit():
        raise StaleEdit(current, f"The attribute {seen.name}")
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
    with _definition_change(
        graph,
        actor,
        Action.DEFINITION_UPDATED,
        current,
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
    ):
        graph.patch(_path(current), body)
    return updated


def set_definition_status(
    *, graph: GraphClient, actor: Actor, seen: Definition, active: bool, reason: str
) -> Definition:
    """Deactivates (status Deprecated) or reactivates a definition; assignments stay."""
    current = _fresh_definition(graph, seen)
    status = AVAILABLE if active else DEPRECATED
    if current.status == status:
        raise StaleEdit(current, f"The attribute {seen.name}")
    updated = replace(current, status=status)
    with _definition_change(
        graph,
        actor,
        Action.DEFINITION_REACTIVATED if active else Action.DEFINITION_DEACTIVATED,
        current,
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
    ):
        graph.patch(_path(current), {"status": status})
    return updated


def add_values(
    *, graph: GraphClient, actor: Actor, seen: Definition, values: list[str], reason: str
) -> Definition:
    """Adds predefined values: one with a POST, several in one `allowedValues@delta` PATCH."""
    current = _fresh_definition(graph, seen)
    already = {v.id for v in current.allowed_values}
    if clash := [v for v in values if v in already]:
        raise StaleEdit(current, f"The values {', '.join(clash)} of {seen.name}")
    new = [{"id": v, "isActive": True} for v in values]
    with _definition_change(
        graph,
        actor,
        Action.VALUE_ADDED,
        current,
        before={"allowedValues": sorted(already)},
        after={"added": values},
        reason=reason,
    ):
        if len(new) == 1:
            graph.create(
                f"{_path(current)}/allowedValues",
                new[0],
                find_existing=lambda: _value_or_none(graph, current, values[0]),
            )
        else:
            graph.patch(_path(current), {"allowedValues@delta": new}, headers=DELTA_HEADERS)
    return replace(
        current, allowed_values=current.allowed_values + tuple(AllowedValue(v) for v in values)
    )


def _value_or_none(graph: GraphClient, definition: Definition, value: str) -> dict[str, Any] | None:
    try:
        return graph.get(f"{_path(definition)}/allowedValues/{segment(value)}")
    except NotFound:
        return None


def set_value_active(
    *,
    graph: GraphClient,
    actor: Actor,
    seen: Definition,
    value: str,
    active: bool,
    reason: str,
) -> Definition:
    """Deactivates or reactivates one predefined value; objects holding it keep it."""
    current = _fresh_definition(graph, seen)
    existing = current.value(value)
    if existing is None:
        raise NotFound(f"{value!r} is not a predefined value of {current.name}.", code="NotFound")
    if existing.is_active == active:
        raise StaleEdit(current, f"The value {value!r} of {seen.name}")
    with _definition_change(
        graph,
        actor,
        Action.VALUE_REACTIVATED if active else Action.VALUE_DEACTIVATED,
        current,
        before={"value": value, "isActive": existing.is_active},
        after={"value": value, "isActive": active},
        reason=reason,
    ):
        graph.patch(f"{_path(current)}/allowedValues/{segment(value)}", {"isActive": active})
    return replace(
        current,
        allowed_values=tuple(
            AllowedValue(v.id, active) if v.id == value else v for v in current.allowed_values
        ),
    )
