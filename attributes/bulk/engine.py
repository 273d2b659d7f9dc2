"""Running a bulk job: its items go to Graph in `$batch` requests at the tenant's write
quota, each item applied once, whatever stops the worker.

A run is a slice (PORTAL_JOB_SLICE_SECONDS) of rounds. A slice holds the job's lease and
renews it every round, so one worker runs a job at a time; when the slice ends the next
one is queued, so jobs that share a worker take turns. A guard task is queued behind
every slice, due when its lease would run out: if the worker died, the guard finds the
lease expired and runs the next slice, on whichever worker picks it up.

A round takes writes from the tenant's budget (portal.write_budget) for up to 20 x
`concurrency` items, then:

1. re-reads each item's object by id (reads cost no writes), and applies the operation to
   what it holds now, so an item already as wanted is not sent, and one whose earlier
   send went unanswered (a timeout, a crash) is found applied instead of sent twice;
2. records the intent of every item about to be sent (its audit record, with the job id),
   once per item, committed before the send;
3. sends them as `$batch` PATCHes with `x-ms-throttle-priority: Low`;
4. records each outcome: applied, failed with Graph's reason (a 4xx), or to be tried
   again (429 after its Retry-After, which holds every worker of the tenant; 5xx and
   lost answers after a backoff, re-read first).

Concurrency halves on a 429 and grows back one batch at a time after clean rounds, and
Graph's `x-ms-throttle-limit-percentage` lowers the budget when others write too.

The job runs as the person who applied it, with their token cache from their newest
sessions (portal.auth.sessions.live_sessions_of); when no sign-in is left, it waits for
them to sign in again ("sign in to continue") and resumes on their next sign-in.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attributes import audit, directory, objects
from attributes.assignment_rules import normal
from attributes.audit import Actor, Target
from attributes.bulk import operations
from attributes.directory import Definition
from attributes.models import (
    Action,
    AuditRecord,
    BulkItem,
    BulkJob,
    ItemState,
    JobState,
    Outcome,
    TargetType,
)
from attributes.objects import DirectoryObject, Value
from portal import write_budget
from portal.auth.client import graph_for_session
from portal.auth.sessions import SessionStore, keep_refreshed_tokens, live_sessions_of
from portal.db import update_each
from portal.graph import (
    BatchRequest,
    BatchResponse,
    GraphClient,
    GraphError,
    SignInRequired,
    error_from_batch,
    retry_after_seconds,
    segment,
)

logger = logging.getLogger(__name__)

BATCH = 20
MAX_CONCURRENCY = 8
MAX_ATTEMPTS = 10
# Background work: Graph throttles it before people's clicks (High).
LOW = {"x-ms-throttle-priority": "Low"}
SESSIONS_TRIED = 3
THROTTLE_SHARE = "x-ms-throttle-limit-percentage"


@dataclass
class SliceResult:
    """How a slice ended: "continue" (queue the next), or the job's state now."""

    outcome: str
    sent: int = 0


def _now() -> Any:
    return timezone.now()


def _lease() -> timedelta:
    return timedelta(seconds=settings.PORTAL_JOB_LEASE_SECONDS)


# The lease ------------------------------------------------------------------------------


def claim(job_id: uuid.UUID | str, worker: str) -> BulkJob | None:
    """The job, leased to `worker`, if it is to run and nobody holds a live lease on it."""
    now = _now()
    runnable = Q(state__in=[JobState.QUEUED, JobState.RUNNING])
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=worker)
    with transaction.atomic():
        claimed = BulkJob.objects.filter(runnable & free, pk=job_id).update(
            lease_owner=worker, lease_until=now + _lease(), state=JobState.RUNNING
        )
    if not claimed:
        return None
    job = BulkJob.objects.get(pk=job_id)
    if job.started_at is None:
        BulkJob.objects.filter(pk=job.pk).update(started_at=now)
        job.started_at = now
    return job


def _renew(job: BulkJob, worker: str) -> bool:
    return bool(
        BulkJob.objects.filter(pk=job.pk, lease_owner=worker).update(lease_until=_now() + _lease())
    )


def _release(job: BulkJob, worker: str) -> None:
    BulkJob.objects.filter(pk=job.pk, lease_owner=worker).update(lease_owner="", lease_until=None)


# Whose token ----------------------------------------------------------------------------


def _client(job: BulkJob) -> tuple[GraphClient, SessionStore] | None:
    """A client acting as the person who applied the job, from their newest session whose
    sign-in still gives a token; None when none does."""
    for session in live_sessions_of(job.tenant_id, job.created_by_object_id, limit=SESSIONS_TRIED):
        graph = graph_for_session(session, background=True)
        try:
            graph.token_provider()
        except SignInRequired:
            continue
        return graph, session
    return None


def _wait_for_sign_in(job: BulkJob) -> None:
    BulkJob.objects.filter(pk=job.pk).update(
        state=JobState.SIGN_IN_NEEDED,
        message=f"Paused: the sign-in of {job.created_by_upn} has ended. Sign in to continue; "
        "the job resumes where it stopped.",
    )


# A slice --------------------------------------------------------------------------------


def run_slice(
    job_id: uuid.UUID | str, worker: str, *, arm_guard: Callable[[BulkJob], None]
) -> SliceResult:
    """One slice of the job, if it is this worker's to run; `arm_guard` queues the task
    that takes over should this worker die."""
    job = claim(job_id, worker)
    if job is None:
        return SliceResult("busy")
    arm_guard(job)
    try:
        client = _client(job)
        if client is None:
            _wait_for_sign_in(job)
            return SliceResult(JobState.SIGN_IN_NEEDED)
        graph, session = client
        run = _Run(job, graph, worker)
        try:
            return run.slice(deadline=time.monotonic() + settings.PORTAL_JOB_SLICE_SECONDS)
        except SignInRequired:
            _wait_for_sign_in(job)
            return SliceResult(JobState.SIGN_IN_NEEDED, run.sent)
        except GraphError as error:
            # Graph is unreachable or refusing more than one item: wait, then go on.
            BulkJob.objects.filter(pk=job.pk).update(
                message=f"Microsoft Graph said: {error.message} The job goes on shortly."
            )
            return SliceResult("later", run.sent)
        finally:
            keep_refreshed_tokens(session)
    finally:
        _release(job, worker)


@dataclass
class _Run:
    job: BulkJob
    graph: GraphClient
    worker: str
    concurrency: int = MAX_CONCURRENCY
    sent: int = 0
    clean_rounds: int = 0
    definitions: dict[tuple[str, str], Definition] = field(default_factory=dict)
    # Outcomes settled and not yet written: (audit seq, outcome, details).
    _outcomes: list[tuple[int, Outcome, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actor = Actor(
            tenant_id=self.job.tenant_id,
            object_id=self.job.created_by_object_id,
            upn=self.job.created_by_upn,
            name=self.job.created_by_name,
        )

    def slice(self, *, deadline: float) -> SliceResult:
        self.definitions = {d.key: d for d in directory.list_definitions(self.graph)}
        while True:
            flags = BulkJob.objects.values("pause_requested", "cancel_requested").get(
                pk=self.job.pk
            )
            if flags["cancel_requested"]:
                self._cancel()
                return SliceResult(JobState.CANCELLED, self.sent)
            if flags["pause_requested"]:
                BulkJob.objects.filter(pk=self.job.pk).update(
                    state=JobState.PAUSED, pause_requested=False, message="Paused."
                )
                return SliceResult(JobState.PAUSED, self.sent)
            if time.monotonic() >= deadline:
                return SliceResult("continue", self.sent)
            if not _renew(self.job, self.worker):
                return SliceResult("busy", self.sent)  # the lease ran out and was taken
            due = self._due(BATCH * self.concurrency)
            if due:
                self._round(due)
                continue
            waiting = self.job.items.filter(state__in=[ItemState.CHANGE, ItemState.PENDING])
            next_try = waiting.order_by("retry_at").values_list("retry_at", flat=True).first()
            if next_try is None and not waiting.exists():
                self._finish()
                return SliceResult(JobState.COMPLETED, self.sent)
            pause = (next_try - _now()).total_seconds() if next_try else 1.0
            time.sleep(max(0.01, min(pause, deadline - time.monotonic(), 1.0)))

    def _due(self, count: int) -> list[BulkItem]:
        now = _now()
        return list(
            self.job.items.filter(state__in=[ItemState.CHANGE, ItemState.PENDING])
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
            .order_by("line", "id")[:count]
        )

    # One round ------------------------------------------------------------------------

    def _round(self, items: list[BulkItem]) -> None:
        granted, wait = write_budget.take(self.job.tenant_id, len(items))
        if not granted:
            time.sleep(min(wait, 1.0))
            return
        items = items[:granted]
        current = self._read(items)
        to_send: list[tuple[BulkItem, Definition, Value | None]] = []
        changed: list[BulkItem] = []
        for item in items:
            if item.pk not in current:
                continue  # its read will be tried again
            decided = self._decide(item, current[item.pk])
            changed.append(item)
            if decided is not None:
                to_send.append((item, decided[0], decided[1]))
        write_budget.give_back(self.job.tenant_id, granted - len(to_send))
        self._record_intents([(item, current[item.pk]) for item, _, _ in to_send], changed)
        if to_send:
            self._send(to_send)

    def _read(self, items: list[BulkItem]) -> dict[int, DirectoryObject | None]:
        """Each item's object as it is now (None: it no longer exists); an item whose read
        failed is left out and scheduled again."""
        requests_ = [
            BatchRequest(
                id=str(item.pk),
                method="GET",
                url=f"/{_collection(item)}/{segment(item.target_id)}"
                f"?$select={objects.fields(_collection(item), values=True)}",
                headers=dict(LOW),
            )
            for item in items
        ]
        answers = self._batch(requests_)
        found: dict[int, DirectoryObject | None] = {}
        retry: list[BulkItem] = []
        for item in items:
            answer = answers.get(str(item.pk))
            if answer is not None and answer.ok and isinstance(answer.body, dict):
                found[item.pk] = DirectoryObject.from_graph(answer.body, _collection(item))
            elif answer is not None and answer.status == 404:
                found[item.pk] = None
            elif answer is not None and 400 <= answer.status < 500 and answer.status != 429:
                self._fail(item, "graph", error_from_batch(answer).message)
                retry.append(item)
            elif item.attempts >= MAX_ATTEMPTS:
                self._fail(item, "rule", f"Not read after {item.attempts} attempts: {item.message}")
                retry.append(item)
            else:
                self._later(item, answer, "It could not be read")
                retry.append(item)
        self._save(retry)
        return found

    def _decide(
        self, item: BulkItem, target: DirectoryObject | None
    ) -> tuple[Definition, Value | None] | None:
        """What to send for the item (its definition and new value), or None when it is
        settled without sending: applied, already as wanted, or failed."""
        if target is None:
            self._fail(item, "not_found", "The object no longer exists in the tenant.")
            return None
        definition = self.definitions.get(
            (item.attribute_set.casefold(), item.attribute.casefold())
        )
        if definition is None:
            self._fail(
                item,
                "rule",
                f"The attribute {item.attribute_set}/{item.attribute} no longer exists.",
            )
            return None
        held = target.value(definition.attribute_set, definition.name)
        after = operations.apply(item.operation, definition, held, item.given)
        if normal(after) == normal(held):
            if item.audit_seq is not None:
                # An earlier send whose answer never came did apply it.
                self._settle(
                    item,
                    ItemState.APPLIED,
                    Outcome.SUCCEEDED,
                    message="Found applied when read again.",
                )
            else:
                item.state, item.before, item.after = ItemState.SKIPPED, held, held
                item.finished_at = _now()
            return None
        if item.audit_seq is not None and normal(after) != normal(item.after):
            self._fail(
                item,
                "changed",
                "Someone else changed this attribute while the job ran, so it was not sent: "
                "retry the failed items to apply the change to its new value.",
            )
            return None
        if item.attempts >= MAX_ATTEMPTS:
            self._fail(item, "rule", f"Not applied after {item.attempts} attempts: {item.message}")
            return None
        planned = operations.plan(item.operation, definition, target, item.given)
        if planned.state == ItemState.REFUSED:
            self._fail(item, planned.problem, planned.message)
            return None
        if item.audit_seq is None:
            item.before, item.after = held, after
        return definition, after

    def _record_intents(
        self, sending: list[tuple[BulkItem, DirectoryObject | None]], changed: list[BulkItem]
    ) -> None:
        """Records the intent of each item sent for the first time, and saves the round's
        items in the same transaction: an item's record is never lost or written twice."""
        new = [(item, target) for item, target in sending if item.audit_seq is None]

        def link(records: list[AuditRecord]) -> None:
            for (item, _), record in zip(new, records, strict=True):
                item.audit_seq, item.state = record.seq, ItemState.PENDING
            self._save(changed)

        if not new:
            self._save(changed)
            return
        audit.append_intents(
            (
                {
                    "actor": self.actor,
                    "action": _action(item.before, item.after),
                    "target": Target(
                        TargetType(item.target_type),
                        item.target_id,
                        target.name if target else item.target_name,
                    ),
                    "attribute_set": item.attribute_set,
                    "attribute": item.attribute,
                    "before": {"value": item.before},
                    "after": {"value": None if normal(item.after) is None else item.after},
                    "reason": self.job.reason,
                    "job_id": str(self.job.id),
                }
                for item, target in new
            ),
            linked=link,
        )

    def _send(self, sending: list[tuple[BulkItem, Definition, Value | None]]) -> None:
        requests_ = [
            BatchRequest(
                id=str(item.pk),
                method="PATCH",
                url=f"/{_collection(item)}/{segment(item.target_id)}",
                body=objects.assignment_payload(definition, value),
                headers=dict(LOW),
            )
            for item, definition, value in sending
        ]
        answers = self._batch(requests_)
        self.sent += len(requests_)
        throttled: list[float] = []
        used_share = 0.0
        settled: list[BulkItem] = []
        with transaction.atomic():
            for item, _, _ in sending:
                answer = answers.get(str(item.pk))
                if answer is not None:
                    used_share = max(used_share, _share(answer))
                if answer is not None and answer.ok:
                    self._settle(item, ItemState.APPLIED, Outcome.SUCCEEDED, answer=answer)
                elif answer is not None and answer.status == 429:
                    wait = retry_after_seconds(answer.headers)
                    throttled.append(1.0 if wait is None else wait)
                    self._later(item, answer, "Graph throttled it", seconds=throttled[-1])
                elif answer is not None and 400 <= answer.status < 500:
                    error = error_from_batch(answer)
                    self._settle(
                        item,
                        ItemState.FAILED,
                        Outcome.FAILED,
                        answer=answer,
                        problem="graph",
                        message=error.message,
                    )
                else:
                    # 5xx or no answer: it may have been applied; the next read tells.
                    self._later(item, answer, "Graph did not confirm it")
                settled.append(item)
            self._save(settled)
        self._adapt(throttled, len(sending))
        if used_share:
            write_budget.observe(self.job.tenant_id, used_share)

    def _adapt(self, throttled: list[float], sent: int) -> None:
        """Each throttled item waits its own Retry-After. When Graph throttled half of what
        was sent or more, the quota is spent: every worker of the tenant waits, and this
        job sends half as many batches at once; clean rounds win them back one by one."""
        if throttled and len(throttled) * 2 >= sent:
            write_budget.hold(self.job.tenant_id, max(throttled))
            self.concurrency, self.clean_rounds = max(1, self.concurrency // 2), 0
        elif not throttled:
            self.clean_rounds += 1
            if self.clean_rounds >= 3 and self.concurrency < MAX_CONCURRENCY:
                self.concurrency, self.clean_rounds = self.concurrency + 1, 0

    def _batch(self, requests_: list[BatchRequest]) -> dict[str, BatchResponse]:
        """The answers Graph gave; a batch whose answer was lost leaves its items out."""
        try:
            return self.graph.batch(requests_, concurrency=self.concurrency, resend=False)
        except SignInRequired:
            raise
        except GraphError as exc:
            logger.warning("bulk job %s: a $batch failed: %s", self.job.id, exc)
            return {}

    # Settling items -------------------------------------------------------------------

    def _later(
        self,
        item: BulkItem,
        answer: BatchResponse | None,
        what: str,
        *,
        seconds: float | None = None,
    ) -> None:
        if seconds is None:
            # A 429 (`seconds`, its Retry-After) is Graph pacing us, not a failure: only
            # what went unconfirmed counts towards giving up.
            item.attempts += 1
        backoff = settings.PORTAL_JOB_BACKOFF_SECONDS * 2 ** max(0, item.attempts - 1)
        wait = seconds if seconds is not None else min(30.0, backoff)
        item.retry_at = _now() + timedelta(seconds=wait)
        detail = error_from_batch(answer).message if answer is not None else "no answer came back"
        item.message = f"{what} ({detail}); trying again."

    def _fail(self, item: BulkItem, problem: str, message: str) -> None:
        if item.audit_seq is not None:
            self._settle(item, ItemState.FAILED, Outcome.FAILED, problem=problem, message=message)
        else:
            item.state, item.problem, item.message = ItemState.FAILED, problem, message
            item.finished_at = _now()

    def _settle(
        self,
        item: BulkItem,
        state: ItemState,
        outcome: Outcome,
        *,
        answer: BatchResponse | None = None,
        problem: str = "",
        message: str = "",
    ) -> None:
        item.state, item.problem, item.message = state, problem, message
        item.request_id = (
            (answer.request_id or answer.batch_request_id or "") if answer is not None else ""
        )
        item.finished_at, item.retry_at = _now(), None
        if item.audit_seq is None:
            return
        error = error_from_batch(answer) if answer is not None and not answer.ok else None
        code = error.code if error else (problem if outcome == Outcome.FAILED else "")
        self._outcomes.append(
            (
                item.audit_seq,
                outcome,
                {"request_id": item.request_id, "error_code": code, "error_message": message},
            )
        )

    def _save(self, items: list[BulkItem]) -> None:
        """The items' progress and the outcomes they settled, committed together."""
        with transaction.atomic():
            _save_items(items)
            self._write_outcomes()

    def _write_outcomes(self) -> None:
        """The outcomes settled since the last call, in one statement."""
        if not self._outcomes:
            return
        records = AuditRecord.objects.in_bulk([seq for seq, _, _ in self._outcomes])
        audit.finalize_many((records[seq], o, d) for seq, o, d in self._outcomes)
        self._outcomes = []

    # Ending ---------------------------------------------------------------------------

    def _cancel(self) -> None:
        """Items never sent are cancelled; one whose send went unanswered is read again,
        so its record says whether it was applied."""
        pending = list(self.job.items.filter(state=ItemState.PENDING))
        for start in range(0, len(pending), BATCH * MAX_CONCURRENCY):
            chunk = pending[start : start + BATCH * MAX_CONCURRENCY]
            current = self._read(chunk)
            for item in chunk:
                target = current.get(item.pk)
                held = None if target is None else target.value(item.attribute_set, item.attribute)
                if item.pk not in current:
                    # Unread: its record stays pending for audit_reconcile to settle.
                    item.state, item.finished_at = ItemState.CANCELLED, _now()
                    item.message = "Cancelled; whether its last send was applied is not known yet."
                elif target is not None and normal(held) == normal(item.after):
                    self._settle(
                        item,
                        ItemState.APPLIED,
                        Outcome.SUCCEEDED,
                        message="Found applied when read again.",
                    )
                else:
                    self._settle(
                        item,
                        ItemState.CANCELLED,
                        Outcome.FAILED,
                        problem="cancelled",
                        message="The job was cancelled before it was sent again.",
                    )
            self._save(chunk)
        self.job.items.filter(state=ItemState.CHANGE).update(
            state=ItemState.CANCELLED, finished_at=_now(), message="The job was cancelled."
        )
        BulkJob.objects.filter(pk=self.job.pk).update(
            state=JobState.CANCELLED,
            cancel_requested=False,
            finished_at=_now(),
            message="Cancelled.",
        )

    def _finish(self) -> None:
        verified = self._verify() if self.job.verify else None
        BulkJob.objects.filter(pk=self.job.pk, state=JobState.RUNNING).update(
            state=JobState.COMPLETED, finished_at=_now(), verified=verified, message=""
        )

    def _verify(self) -> int:
        """Reads every applied object back by id and counts those holding the new value."""
        count = 0
        applied = self.job.items.filter(state=ItemState.APPLIED, verified__isnull=True)
        while chunk := list(applied.order_by("line")[: BATCH * MAX_CONCURRENCY]):
            current = self._read(chunk)
            holding = set()
            for item in chunk:
                target = current.get(item.pk)
                held = None if target is None else target.value(item.attribute_set, item.attribute)
                if item.pk in current and normal(held) == normal(item.after):
                    holding.add(item.pk)
            pks = [item.pk for item in chunk]
            BulkItem.objects.filter(pk__in=holding).update(verified=True)
            BulkItem.objects.filter(pk__in=pks).exclude(pk__in=holding).update(verified=False)
        count = self.job.items.filter(state=ItemState.APPLIED, verified=True).count()
        return count


_ITEM_FIELDS = (
    "state", "before", "after", "problem", "message", "attempts", "retry_at", "audit_seq",
    "request_id", "finished_at",
)  # fmt: skip


def _save_items(items: list[BulkItem]) -> None:
    update_each(items, _ITEM_FIELDS)


def _collection(item: BulkItem) -> str:
    return "users" if item.target_type == TargetType.USER else "servicePrincipals"


def _action(before: Value | None, after: Value | None) -> Action:
    if normal(after) is None:
        return Action.ASSIGNMENT_REMOVED
    return Action.ASSIGNMENT_SET if normal(before) is None else Action.ASSIGNMENT_CHANGED


def _share(answer: BatchResponse) -> float:
    value = next((v for k, v in answer.headers.items() if k.lower() == THROTTLE_SHARE), "")
    try:
        return float(value)
    except ValueError:
        return 0.0
