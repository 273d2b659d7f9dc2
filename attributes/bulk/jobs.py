"""Controlling a job and reading how it goes: apply, pause, resume, cancel, retry the
failed items, and the progress a job page shows (counts, rate against the quota, ETA).

Pause and cancel take effect between rounds: the worker reads the request before each
one, so nothing is left half sent. A job that is not running (queued, paused, waiting for
sign-in) is changed here at once, except that cancelling one with items whose last send
went unanswered hands it to a worker, which reads those objects again to settle them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attributes.bulk import plan
from attributes.models import BulkItem, BulkJob, ItemState, JobState
from portal import write_budget

RATE_WINDOW = timedelta(seconds=60)
WRITE_STATES = (ItemState.CHANGE, ItemState.PENDING)


def _start(job: BulkJob) -> None:
    from attributes.tasks import start  # the task module imports the engine, which imports this

    transaction.on_commit(lambda: start(str(job.pk)))


def apply(job: BulkJob, *, verify: bool) -> bool:
    """The person confirmed the dry run: queue the job. False if it was not a draft."""
    if not plan.queue(job, verify=verify):
        return False
    _start(job)
    return True


def pause(job: BulkJob) -> None:
    with transaction.atomic():
        BulkJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(pause_requested=True)
        BulkJob.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.PAUSED, message="Paused."
        )


def resume(job: BulkJob) -> bool:
    with transaction.atomic():
        resumed = BulkJob.objects.filter(
            pk=job.pk, state__in=[JobState.PAUSED, JobState.SIGN_IN_NEEDED]
        ).update(state=JobState.QUEUED, pause_requested=False, message="")
        if resumed:
            _start(job)
    return bool(resumed)


def cancel(job: BulkJob) -> None:
    idle = [JobState.QUEUED, JobState.PAUSED, JobState.SIGN_IN_NEEDED]
    jobs = BulkJob.objects.filter(pk=job.pk)
    if job.items.filter(state=ItemState.PENDING).exists():
        # Some sends went unanswered: a worker reads those objects again to settle them.
        if jobs.filter(state__in=idle).update(cancel_requested=True, state=JobState.QUEUED):
            _start(job)
        else:
            jobs.update(cancel_requested=True)
        return
    now = timezone.now()
    with transaction.atomic():
        if not jobs.filter(state__in=idle).update(
            state=JobState.CANCELLED, finished_at=now, message="Cancelled."
        ):
            jobs.filter(state=JobState.RUNNING).update(cancel_requested=True)
            return
        job.items.filter(state=ItemState.CHANGE).update(
            state=ItemState.CANCELLED, finished_at=now, message="The job was cancelled."
        )


def discard(job: BulkJob) -> None:
    """A dry run the person does not want: nothing was written, so nothing is kept."""
    BulkJob.objects.filter(pk=job.pk, state=JobState.DRAFT).delete()


def resume_after_sign_in(sender: Any, *, tenant_id: str, object_id: str, **_: Any) -> None:
    """The person whose jobs were waiting for a sign-in has signed in: they go on."""
    waiting = BulkJob.objects.filter(
        tenant_id=tenant_id, created_by_object_id=object_id, state=JobState.SIGN_IN_NEEDED
    )
    for job in waiting:
        resume(job)


# Progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    tally: plan.Tally
    done: int
    total: int
    to_write: int
    rate: float  # writes applied a second, over the last minute
    quota_rate: float
    eta_seconds: float | None
    budget_left: float
    quota: write_budget.Quota

    @property
    def at_quota_seconds(self) -> float:
        """How long the writes left take at the quota's sustained rate: the most they can
        take unless others use the quota too (a full bucket lets the first go faster)."""
        return self.to_write / self.quota_rate if self.quota_rate else 0.0

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def progress(job: BulkJob) -> Progress:
    counts = plan.tally(job)
    to_write = sum(counts.get(s) for s in WRITE_STATES)
    now = timezone.now()
    recent = job.items.filter(finished_at__gte=now - RATE_WINDOW, state=ItemState.APPLIED).count()
    window = RATE_WINDOW.total_seconds()
    if job.started_at is not None:
        window = min(window, max(1.0, (now - job.started_at).total_seconds()))
    rate = recent / window
    quota_rate = write_budget.quota().rate
    # Honest: never faster than the quota allows, and from what was seen once it runs.
    pace = min(rate, quota_rate) if rate else quota_rate
    eta = to_write / pace if to_write and job.state in {JobState.QUEUED, JobState.RUNNING} else None
    total = counts.total
    return Progress(
        tally=counts,
        done=total - to_write,
        total=total,
        to_write=to_write,
        rate=rate,
        quota_rate=quota_rate,
        eta_seconds=eta,
        budget_left=write_budget.available(job.tenant_id),
        quota=write_budget.quota(),
    )


def failed_items(job: BulkJob, *, after_line: int = 0) -> list[BulkItem]:
    return plan.page_of(job, state=ItemState.FAILED, after_line=after_line)


def report_rows(job: BulkJob) -> Any:
    """Every item in line order, read a thousand at a time."""
    return job.items.order_by("line", "id").iterator(chunk_size=1000)


def visible_jobs(tenant_id: str, object_id: str, *, everyone: bool) -> Any:
    jobs = BulkJob.objects.filter(tenant_id=tenant_id)
    if not everyone:
        jobs = jobs.filter(created_by_object_id=object_id)
    return jobs.filter(~Q(state=JobState.DRAFT) | Q(created_by_object_id=object_id))
