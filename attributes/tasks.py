"""Background tasks (Django's tasks framework; `manage.py db_worker` runs them).

A bulk job runs as a chain of slices (attributes.bulk.engine): each one queues the next
when it ends, and a guard behind it, due when its lease would run out, which takes over
if the worker running the slice died. Only the newest guard re-arms itself while the
job is busy elsewhere, so a job has one guard at a time.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.tasks import TaskContext, task
from django.utils import timezone

from attributes.bulk import engine
from attributes.models import BulkJob, JobState
from portal.correlation import log_context
from portal.graph import counting_round_trips

logger = logging.getLogger(__name__)
# A slice's summary names at most this many Graph request-ids (a slice can send hundreds).
SUMMARY_REQUEST_IDS = 50

# How long a job waits after Graph failed a whole round (it answered no item).
AFTER_A_GRAPH_ERROR = 15


@task(takes_context=True)
def run_bulk_job(context: TaskContext[..., str], job_id: str) -> str:
    """One slice; its log lines carry the job id as their request id, and the person the
    job runs for, and it ends with a summary line as a web request does."""
    started = time.perf_counter()
    person = BulkJob.objects.filter(pk=job_id).values_list("created_by_object_id", flat=True)
    with log_context(str(job_id), person.first() or "-"), counting_round_trips() as trips:
        outcome = _run_slice(context, job_id)
        fields = {
            "job_id": str(job_id),
            "outcome": outcome,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "graph_round_trips": trips.count,
            "graph_request_ids": trips.request_ids[:SUMMARY_REQUEST_IDS],
        }
        logger.info(
            "bulk job slice ended (%s) in %s ms, %s Graph round trips",
            outcome,
            fields["duration_ms"],
            trips.count,
            extra={"fields": fields},
        )
    return outcome


def _run_slice(context: TaskContext[..., str], job_id: str) -> str:
    me = str(context.task_result.id)
    result = engine.run_slice(job_id, worker=me, arm_guard=_arm_guard)
    if result.outcome == "continue":
        start(job_id)
    elif result.outcome == "later":
        run_bulk_job.using(
            run_after=timezone.now() + timedelta(seconds=AFTER_A_GRAPH_ERROR)
        ).enqueue(job_id)
    elif result.outcome == "busy":
        job = BulkJob.objects.filter(pk=job_id).first()
        if job is not None and job.guard == me and job.state == JobState.RUNNING:
            _arm_guard(job)
    return result.outcome


def start(job_id: str) -> None:
    """Queues the next slice of the job, to run as soon as a worker is free."""
    run_bulk_job.enqueue(str(job_id))


def _arm_guard(job: BulkJob) -> None:
    lease = timedelta(seconds=settings.PORTAL_JOB_LEASE_SECONDS + 1)
    guard = run_bulk_job.using(run_after=timezone.now() + lease).enqueue(str(job.id))
    BulkJob.objects.filter(pk=job.pk).update(guard=str(guard.id))
