"""Settling audit records a dead process left pending (`manage.py audit_reconcile`).

Whether a change took effect is told by the check its action registered
(`attributes.audit.applied_check`), re-reading Graph with the actor's own sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from attributes.audit import finalize, is_applied
from attributes.models import AuditRecord, Outcome
from portal.auth.client import graph_for_session
from portal.graph import GraphError
from portal.models import User

logger = logging.getLogger(__name__)


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
    tally: dict[str, int] = dict.fromkeys((Outcome.SUCCEEDED, Outcome.FAILED, Outcome.UNKNOWN), 0)
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
    # Changes to the portal's own tables are told without Graph.
    if (local := is_applied(None, record)) is not None:
        return local
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
