"""Creating and editing attribute sets (graph-api.md §2.1, rows 3-4), and the portal's own
assignment policy for a set."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils.html import format_html

from attributes import directory
from attributes.actions import StaleEdit, fields_match
from attributes.audit import Actor, Target, applied_check, record_change
from attributes.directory import SETS, AttributeSet
from attributes.models import Action, AttributeSetPolicy, AuditRecord, TargetType
from portal.graph import GraphClient, NotFound, segment
from portal.isolation import isolated


def _target(name: str) -> Target:
    return Target(TargetType.ATTRIBUTE_SET, name, name)


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
    path = f"{SETS}/{segment(name)}"
    with record_change(
        actor=actor,
        action=Action.SET_CREATED,
        target=_target(name),
        attribute_set=name,
        after=new.as_audit(),
        reason=reason,
        graph=graph,
    ) as change:
        created = change.wrote(
            graph.create(SETS, body, find_existing=lambda: graph.get_or_none(path))
        )
    return AttributeSet.from_graph(created.body) if created.body else new


def update_set(
    *,
    graph: GraphClient,
    actor: Actor,
    current: AttributeSet,
    seen: AttributeSet,
    description: str,
    max_attributes: int | None,
    reason: str,
) -> AttributeSet:
    """Changes a set's description and maximum, unless it changed since the person saw it."""
    if current != seen:
        raise StaleEdit(current, format_html("The attribute set {}", isolated(seen.id)))
    updated = replace(current, description=description, max_attributes=max_attributes)
    if updated == current:
        return current
    path = f"{SETS}/{segment(current.id)}"
    with record_change(
        actor=actor,
        action=Action.SET_UPDATED,
        target=_target(current.id),
        attribute_set=current.id,
        before=current.as_audit(),
        after=updated.as_audit(),
        reason=reason,
        graph=graph,
    ) as change:
        change.wrote(
            graph.patch(
                path,
                {"description": description or None, "maxAttributesPerSet": max_attributes},
            )
        )
    return updated


@applied_check(Action.SET_CREATED, Action.SET_UPDATED)
def _set_has_its_recorded_fields(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    if graph is None:
        return None
    try:
        current = directory.get_set(graph, record.attribute_set)
    except NotFound:
        return False
    return fields_match(current.as_audit(), record.after or {})


def set_reason_required(*, actor: Actor, attribute_set: str, required: bool, reason: str) -> bool:
    """Whether assignments in the set must give a reason: the portal's own setting."""
    policy = AttributeSetPolicy.objects.filter(attribute_set__iexact=attribute_set).first()
    before = bool(policy and policy.require_reason)
    if before == required:
        return required
    with (
        record_change(
            actor=actor,
            action=Action.SET_POLICY_CHANGED,
            target=_target(attribute_set),
            attribute_set=attribute_set,
            before={"requireReason": before},
            after={"requireReason": required},
            reason=reason,
        ),
        transaction.atomic(),
    ):
        AttributeSetPolicy.objects.update_or_create(
            attribute_set=policy.attribute_set if policy else attribute_set,
            defaults={"require_reason": required, "updated_by": actor.upn},
        )
    return required


@applied_check(Action.SET_POLICY_CHANGED)
def _policy_is_the_recorded_policy(_graph: GraphClient | None, record: AuditRecord) -> bool:
    expected = bool((record.after or {}).get("requireReason"))
    return AttributeSetPolicy.requires_reason(record.attribute_set) == expected
