"""Settling audit records a dead process left pending (`manage.py audit_reconcile`).

Whether a change took effect is told by the check its action registered
(`attributes.audit.applied_check`), re-reading Graph with the actor's own sign-in: the
actor's newest few sessions holding a token cache (`portal.auth.sessions.live_sessions_of`),
newest first. A session whose sign-in is dead is dropped for the rest of the run after
the one Graph call and refused refresh that showed it. The run stops at its time budget
and leaves what it did not reach pending for the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from attributes.audit import finalize, is_applied
from attributes.models import AuditRecord, Outcome
from portal.auth.client import graph_for_session
from portal.auth.sessions import SessionStore, keep_refreshed_tokens, live_sessions_of
from portal.graph import GraphError, SignInRequired

logger = logging.getLogger(__name__)

# Newer sessions outlive older ones (a revocation kills them all, a new sign-in after it
# is the newest; refresh tokens expire oldest first), so past the newest few a live one
# is unlikely and each dead one costs a Graph call and a refused refresh.
MAX_SESSIONS_PER_ACTOR = 3
# Start-up waits for this, so it stays well under what anyone would wait for a server.
DEFAULT_BUDGET = timedelta(seconds=30)


class _OutOfTime(Exception):
    """The budget ran out before this record's outcome could be told."""


@dataclass
class _Run:
    deadline: float
    clock: Callable[[], float]
    # Per actor (tenant id, object id), the sessions still worth trying in this run.
    sessions: dict[tuple[str, str], list[SessionStore]] = field(default_factory=dict)

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def sessions_of(self, record: AuditRecord) -> list[SessionStore]:
        actor = (record.actor_tenant_id, record.actor_object_id)
        if actor not in self.sessions:
            self.sessions[actor] = live_sessions_of(*actor, limit=MAX_SESSIONS_PER_ACTOR)
        return self.sessions[actor]

    def applied(self, record: AuditRecord) -> bool | None:
        """True or False as Graph tells it, None when it cannot be told; _OutOfTime."""
        # Changes to the portal's own tables are told without Graph.
        if (local := is_applied(None, record)) is not None:
            return local
        sessions = self.sessions_of(record)
        for session in list(sessions):
            if self.remaining() <= 0:
                raise _OutOfTime
            try:
                return is_applied(graph_for_session(session, retry_budget=self.remaining()), record)
            except SignInRequired as exc:
                logger.info("reconcile of #%s: a session's sign-in is dead: %s", record.seq, exc)
                sessions.remove(session)
            except GraphError as exc:
                if self.remaining() <= 0:
                    # Cut short by the budget (fewer retries): the next run may tell.
                    raise _OutOfTime from exc
                # Graph answered the actor, not the session: another one would fare no better.
                logger.info("reconcile of #%s could not read Graph: %s", record.seq, exc)
                return None
            finally:
                keep_refreshed_tokens(session)
        return None


def reconcile_pending(
    *,
    older_than: timedelta = timedelta(minutes=2),
    budget: timedelta = DEFAULT_BUDGET,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Settles records left pending by a process that died mid-change, oldest first.

    Only records pending for longer than `older_than` are touched, so changes still in
    flight on other instances are left alone. No new record or session is started once
    `budget` has passed on `clock` (seconds; injectable for tests).

    Returns a count per outcome: how many became succeeded, failed or unknown, and under
    `pending` how many old enough records the budget left for the next run.
    """
    run = _Run(deadline=clock() + budget.total_seconds(), clock=clock)
    tally: dict[str, int] = dict.fromkeys(
        (Outcome.SUCCEEDED, Outcome.FAILED, Outcome.UNKNOWN, Outcome.PENDING), 0
    )
    cutoff = timezone.now() - older_than
    records = list(
        AuditRecord.objects.filter(outcome=Outcome.PENDING, created_at__lt=cutoff).order_by("seq")
    )
    for index, record in enumerate(records):
        try:
            if run.remaining() <= 0:
                raise _OutOfTime
            applied = run.applied(record)
        except _OutOfTime:
            tally[Outcome.PENDING] = len(records) - index
            logger.warning(
                "audit_reconcile ran out of time: %s pending records left for the next run",
                tally[Outcome.PENDING],
            )
            break
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
