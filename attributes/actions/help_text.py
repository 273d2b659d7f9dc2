"""Portal-side help text for an attribute: a local record, audited like every change."""

from __future__ import annotations

from django.db import transaction

from attributes.audit import Actor, Target, applied_check, record_change
from attributes.directory import Definition
from attributes.models import Action, AuditRecord, HelpText, TargetType
from portal.graph import GraphClient


def set_help_text(*, actor: Actor, definition: Definition, text: str, reason: str) -> str:
    text = text.strip()
    current = HelpText.objects.filter(definition_id=definition.id).first()
    before = current.text if current else ""
    if text == before:
        return text
    with (
        record_change(
            actor=actor,
            action=Action.HELP_TEXT_CHANGED,
            target=Target(TargetType.DEFINITION, definition.id, definition.name),
            attribute_set=definition.attribute_set,
            attribute=definition.name,
            before={"text": before},
            after={"text": text},
            reason=reason,
        ),
        transaction.atomic(),
    ):
        if text:
            HelpText.objects.update_or_create(
                definition_id=definition.id,
                defaults={"text": text, "updated_by": actor.upn},
            )
        else:
            HelpText.objects.filter(definition_id=definition.id).delete()
    return text


@applied_check(Action.HELP_TEXT_CHANGED)
def _help_text_is_the_recorded_text(_graph: GraphClient | None, record: AuditRecord) -> bool:
    current = HelpText.objects.filter(definition_id=record.target_id).first()
    expected: str = (record.after or {}).get("text", "")
    return (current.text if current else "") == expected
