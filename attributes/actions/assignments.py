"""Assigning, changing and removing one attribute's value on a user or service principal.

`current` is the object as the view re-read it in this request, right before the write:
Graph has no ETag for these values, so that re-read is what tells whether someone else
changed the attribute since the person saw it (`seen`). If so, nothing is written and
`ConflictingEdit` carries both versions, so the person can choose (graph-api.md §1.4).
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html

from attributes import objects
from attributes.actions import StaleEdit
from attributes.assignment_rules import normal
from attributes.audit import Actor, Target, applied_check, record_change
from attributes.directory import Definition
from attributes.models import Action, AuditRecord, TargetType
from attributes.objects import GRAPH_TYPES, DirectoryObject, Value, assignment_payload
from portal.graph import GraphClient, NotFound
from portal.isolation import isolated

# Clicks are interactive: Graph throttles them after background (Low) traffic.
INTERACTIVE = {"x-ms-throttle-priority": "High"}


class ConflictingEdit(StaleEdit):
    """The attribute changed since the person saw it: `theirs` is what Entra holds now."""

    def __init__(self, current: DirectoryObject, definition: Definition, theirs: Value | None):
        super().__init__(
            current,
            format_html(
                "The attribute {} of {}", isolated(definition.name), isolated(current.name)
            ),
        )
        self.definition = definition
        self.theirs = theirs


def set_attribute(
    *,
    graph: GraphClient,
    actor: Actor,
    current: DirectoryObject,
    definition: Definition,
    value: Value | None,
    seen: Value | None,
    reason: str,
) -> DirectoryObject:
    """Sets the attribute to `value`, or removes it (None, or an empty collection)."""
    before = current.value(definition.attribute_set, definition.name)
    if normal(before) != normal(seen):
        raise ConflictingEdit(current, definition, before)
    if normal(before) == normal(value):
        return current
    if normal(value) is None:
        action = Action.ASSIGNMENT_REMOVED
    elif before is None:
        action = Action.ASSIGNMENT_SET
    else:
        action = Action.ASSIGNMENT_CHANGED
    path = current.path
    with record_change(
        actor=actor,
        action=action,
        target=Target(current.target_type, current.id, current.name),
        attribute_set=definition.attribute_set,
        attribute=definition.name,
        before={"value": before},
        after={"value": None if normal(value) is None else value},
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(graph.patch(path, assignment_payload(definition, value), headers=INTERACTIVE))
    return current.with_value(definition, value)


@applied_check(Action.ASSIGNMENT_SET, Action.ASSIGNMENT_CHANGED, Action.ASSIGNMENT_REMOVED)
def _object_holds_the_recorded_value(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    if graph is None:
        return None
    graph_type = "user" if record.target_type == TargetType.USER else "servicePrincipal"
    try:
        now = objects.get_object(graph, GRAPH_TYPES[graph_type], record.target_id)
    except NotFound:
        return False
    expected: Any = (record.after or {}).get("value")
    return normal(now.value(record.attribute_set, record.attribute)) == normal(expected)
