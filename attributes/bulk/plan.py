"""The dry run: a draft job with one item per object and attribute, each holding what the
object holds now, what it would hold, and the verdict (will change, already as wanted, or
refused and why). Nothing is written to Graph; the person reviews the draft, then applies
it (`queue`), which is when the job starts.

Objects come with their current values: from a query's pages (find by value, coverage,
the agent board) or read by id, 20 to a `$batch` (a selection, an uploaded file).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from attributes.audit import Actor
from attributes.bulk import operations
from attributes.directory import Definition
from attributes.models import BulkItem, BulkJob, ItemState, JobState, Operation
from attributes.objects import DirectoryObject, Value, read_objects
from portal.graph import GraphClient

if TYPE_CHECKING:
    from attributes.bulk.upload import Upload

CHUNK = 1000
# Items of a preview or job shown per page.
PAGE = 100


@dataclass(frozen=True)
class Change:
    """What to do to a selection: one attribute, one operation, its value."""

    definition: Definition
    operation: str
    given: Value | None


def new_job(actor: Actor, *, source: str, reason: str, change: Change | None = None) -> BulkJob:
    return BulkJob.objects.create(
        id=uuid.uuid4(),
        tenant_id=actor.tenant_id,
        created_by_object_id=actor.object_id,
        created_by_upn=actor.upn,
        created_by_name=actor.name,
        source=source[:500],
        operation=change.operation if change else Operation.IMPORT,
        attribute_set=change.definition.attribute_set if change else "",
        attribute=change.definition.name if change else "",
        value=change.given if change else None,
        reason=reason,
    )


def _item(
    job: BulkJob,
    line: int,
    target: DirectoryObject,
    definition: Definition,
    operation: str,
    given: Value | None,
    planned: operations.Planned,
) -> BulkItem:
    return BulkItem(
        job=job,
        line=line,
        target_type=target.target_type,
        target_id=target.id,
        target_name=target.name[:512],
        target_kind=target.kind.value,
        attribute_set=definition.attribute_set,
        attribute=definition.name,
        operation=operation,
        given=given,
        before=planned.before,
        after=planned.after,
        state=planned.state,
        problem=planned.problem,
        message=planned.message,
    )


def _save(items: Iterable[BulkItem]) -> int:
    count = 0
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        BulkItem.objects.bulk_create(chunk)
        count += len(chunk)
    return count


def draft_for_selection(
    actor: Actor,
    targets: Iterable[DirectoryObject],
    change: Change,
    *,
    source: str,
    reason: str,
    why_not: str,
) -> BulkJob:
    """A draft of `change` applied to every object in `targets` (any number: they are
    planned and stored a thousand at a time)."""
    job = new_job(actor, source=source, reason=reason, change=change)
    planned = (
        _item(
            job,
            line,
            target,
            change.definition,
            change.operation,
            change.given,
            operations.plan(
                change.operation, change.definition, target, change.given, why_not=why_not
            ),
        )
        for line, target in enumerate(targets, start=1)
    )
    _save(planned)
    return job


def draft_for_upload(
    graph: GraphClient,
    actor: Actor,
    upload: Upload,
    *,
    source: str,
    reason: str,
    why_not: Callable[[Definition], str],
) -> BulkJob:
    """A draft of what an uploaded file asks for: each object read once, by id, and each
    of its cells planned against what it holds, after the cells before it on its row."""
    found = read_objects(graph, [(w.collection, w.object_id) for w in upload.wanted])
    job = new_job(actor, source=source, reason=reason)
    _save(_upload_items(job, upload, found, why_not))
    return job


def _upload_items(
    job: BulkJob,
    upload: Upload,
    found: dict[str, DirectoryObject],
    why_not: Callable[[Definition], str],
) -> Iterator[BulkItem]:
    current = dict(found)
    for wanted in upload.wanted:
        target = current.get(wanted.object_id)
        if target is None:
            yield _missing(job, wanted.line, wanted.object_id, wanted.definition, wanted.value)
            continue
        planned = operations.plan(
            Operation.IMPORT,
            wanted.definition,
            target,
            wanted.value,
            why_not=why_not(wanted.definition),
        )
        if planned.state == ItemState.CHANGE:
            # The next cell of the row is judged with this one applied (50 values in all).
            current[target.id] = target.with_value(wanted.definition, planned.after)
        yield _item(
            job, wanted.line, target, wanted.definition, Operation.IMPORT, wanted.value, planned
        )


def _missing(
    job: BulkJob, line: int, object_id: str, definition: Definition, value: Value | None
) -> BulkItem:
    return BulkItem(
        job=job,
        line=line,
        target_type="",
        target_id=object_id,
        attribute_set=definition.attribute_set,
        attribute=definition.name,
        operation=Operation.IMPORT,
        given=value,
        after=value,
        state=ItemState.REFUSED,
        problem="not_found",
        message="No user or service principal in the tenant has this object id.",
    )


# Reading a draft or a job ---------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """How many items are in each state, and the refusals counted by why."""

    states: dict[str, int]
    problems: list[tuple[str, str, int]]  # (code, label, count)

    # No __getitem__: templates would look every attribute up as a key first.
    def get(self, state: str, default: int = 0) -> int:
        return self.states.get(state, default)

    @property
    def as_wanted(self) -> int:
        """Items left alone because the object already held what was asked."""
        return self.get(ItemState.UNCHANGED) + self.get(ItemState.SKIPPED)

    @property
    def total(self) -> int:
        return sum(self.states.values())


def tally(job: BulkJob) -> Tally:
    states = dict(job.items.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    problems = (
        job.items.filter(state__in=[ItemState.REFUSED, ItemState.FAILED])
        .values_list("problem")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("problem", "n")
    )
    return Tally(
        states={str(k): int(v) for k, v in states.items()},
        problems=[
            (code, operations.PROBLEMS.get(code, code or "Other"), n) for code, n in problems
        ],
    )


def page_of(job: BulkJob, *, state: str = "", after_line: int = 0) -> list[BulkItem]:
    """A page of items in line order, optionally of one state (keyset by line)."""
    items = job.items.filter(line__gt=after_line)
    if state:
        items = items.filter(state=state)
    return list(items.order_by("line", "id")[:PAGE])


def queue(job: BulkJob, *, verify: bool) -> bool:
    """The person confirmed the dry run: the draft becomes a job, waiting for a worker.
    False when it was no longer a draft (applied twice, or discarded)."""
    with transaction.atomic():
        updated = BulkJob.objects.filter(pk=job.pk, state=JobState.DRAFT).update(
            state=JobState.QUEUED, queued_at=timezone.now(), verify=verify
        )
    return bool(updated)


def draft_retry(
    graph: GraphClient,
    actor: Actor,
    job: BulkJob,
    definitions: dict[tuple[str, str], Definition],
    why_not: Callable[[Definition], str],
) -> BulkJob | None:
    """A new dry run of the job's failed items, against what their objects hold now;
    None when none failed."""
    failed = list(job.items.filter(state=ItemState.FAILED).order_by("line", "id"))
    if not failed:
        return None
    found = read_objects(graph, [(_collection_of(i.target_type), i.target_id) for i in failed])
    retry = new_job(actor, source=f"Retry of the failed items of job {job.id}", reason=job.reason)
    BulkJob.objects.filter(pk=retry.pk).update(retry_of=job.id, operation=job.operation)
    _save(_retry_items(retry, failed, found, definitions, why_not))
    return retry


def _retry_items(
    job: BulkJob,
    failed: list[BulkItem],
    found: dict[str, DirectoryObject],
    definitions: dict[tuple[str, str], Definition],
    why_not: Callable[[Definition], str],
) -> Iterator[BulkItem]:
    for item in failed:
        definition = definitions.get((item.attribute_set.casefold(), item.attribute.casefold()))
        target = found.get(item.target_id)
        if definition is None or target is None:
            missing = _missing(job, item.line, item.target_id, _placeholder(item), item.given)
            if definition is None:
                missing.problem, missing.message = "rule", "The attribute no longer exists."
            yield missing
            continue
        planned = operations.plan(
            item.operation, definition, target, item.given, why_not=why_not(definition)
        )
        yield _item(job, item.line, target, definition, item.operation, item.given, planned)


def _collection_of(target_type: str) -> str | None:
    return {"user": "users", "servicePrincipal": "servicePrincipals"}.get(target_type)


def _placeholder(item: BulkItem) -> Definition:
    return Definition(
        id=f"{item.attribute_set}_{item.attribute}",
        attribute_set=item.attribute_set,
        name=item.attribute,
        type="String",
        is_collection=False,
        is_searchable=False,
    )
