"""Deciding, from Graph (or the portal's own tables), whether a recorded change is in effect.

Used when a change's outcome is uncertain (a timeout, a dropped connection) and by
`manage.py audit_reconcile` for records a dead process left pending.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from attributes import directory
from attributes.audit import finalize
from attributes.models import Action, AuditRecord, HelpText, Outcome
from portal.auth.client import graph_for_session
from portal.graph import GraphClient, GraphError, NotFound
from portal.models import User

logger = logging.getLogger(__name__)

_DEFINITION_FIELDS = (
    Action.DEFINITION_UPDATED,
    Action.DEFINITION_DEACTIVATED,
    Action.DEFINITION_REACTIVATED,
)


def _matches(current: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(current.get(key) == value for key, value in expected.items())


def is_applied(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    """True if the recorded change is in effect, False if not, None if it cannot be told."""
    action, after = record.action, record.after or {}
    if action == Action.HELP_TEXT_CHANGED:
        current = HelpText.objects.filter(definition_id=record.target_id).first()
        return (current.text if current else "") == after.get("text", "")
    if graph is None:
        return None
    try:
        if action in (Action.SET_CREATED, Action.SET_UPDATED):
            return _matches(directory.get_set(graph, record.attribute_set).as_audit(), after)
        definition = directory.get_definition(graph, record.attribute_set, record.attribute)
    except NotFound:
        return False
    if definition is None:
        return False
    if action == Action.DEFINITION_CREATED:
        return True
    if action in _DEFINITION_FIELDS:
        return _matches(definition.as_audit(), after)
    if action == Action.VALUE_ADDED:
        return all(definition.value(v) is not None for v in after.get("added", []))
    if action in (Action.VALUE_DEACTIVATED, Action.VALUE_REACTIVATED):
        value = definition.value(after.get("value", ""))
        return value is not None and value.is_active == after.get("isActive")
    return None


def _sessions_of(record: AuditRecord) -> Iterator[SessionStore]:
    """Live sessions of the record's actor: their delegated tokens are the only way in."""
    user = User.objects.filter(
        tenant_id=record.actor_tenant_id, object_id=record.actor_object_id
    ).first()
    if user is None:
        return
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get("_auth_user_id") == str(user.pk):
            yield SessionStore(session_key=session.session_key)


def reconcile_pending(*, older_than: timedelta = timedelta(minutes=2)) -> dict[str, int]:
    """Settles records left pending by a process that died mid-change."""
    tally = dict.fromkeys((Outcome.SUCCEEDED, Outcome.FAILED, Outcome.UNKNOWN), 0)
    cutoff = timezone.now() - older_than
    for record in AuditRecord.objects.filter(outcome=Outcome.PENDING, created_at__lt=cutoff):
        applied = _applied_with_any_session(record)
        if applied is None:
            outcome = Outcome.UNKNOWN
            message = (
                "The process making this change stopped before recording its outcome, and "
                "Graph could not be re-read with the actor's sign-in to find out."
            )
        else:
            outcome = Outcome.SUCCEEDED if applied else Outcome.FAILED
            message = "Settled by audit_reconcile after the process making it stopped."
        if finalize(record, outcome, error_code="Reconciled", error_message=message):
            tally[outcome] += 1
    return tally


def _applied_with_any_session(record: AuditRecord) -> bool | None:
    if record.action == Action.HELP_TEXT_CHANGED:
        return is_applied(None, record)
    for session in _sessions_of(record):
        try:
            answer = is_applied(graph_for_session(session), record)
        except GraphError as exc:
            logger.info("reconcile of #%s could not read Graph: %s", record.seq, exc)
            continue
        finally:
            if session.modified:
                session.save()
        if answer is not None:
            return answer
    return None
