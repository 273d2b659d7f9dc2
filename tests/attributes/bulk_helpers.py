"""Shared by the bulk tests: drafts, running a job's slices in this process, reading Graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attributes.audit import Actor
from attributes.bulk import engine, jobs, plan
from attributes.directory import Definition, list_definitions
from attributes.models import BulkJob, JobState
from attributes.objects import DirectoryObject, read_objects
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.graph import GraphClient
from portal.http import http_session

ADA = Actor(demo.TENANT_ID, demo.ADA.object_id, demo.ADA.user_principal_name, "Ada Admin")
GraphAs = Callable[..., Any]


def graph_of(emu: EmulatorProcess, upn: str = "ada.admin@contoso.example") -> GraphClient:
    token = emu.password_token(upn)
    return GraphClient(
        session=http_session(),
        token_provider=lambda force_refresh=False: token,
        base_url=emu.graph_root,
    )


def definition(graph: GraphClient, attribute_id: str) -> Definition:
    return next(d for d in list_definitions(graph) if d.id == attribute_id)


def users(graph: GraphClient, count: int, *, skip: int = 0) -> list[DirectoryObject]:
    page = graph.get("/users", params={"$select": "id,userType", "$top": "999"})
    ids = [u["id"] for u in page["value"] if u.get("userType") == "Member"][skip : skip + count]
    found = read_objects(graph, [("users", i) for i in ids])
    return [found[i] for i in ids]


def draft(
    graph: GraphClient,
    targets: list[DirectoryObject],
    attribute_id: str,
    operation: str,
    given: Any,
    *,
    reason: str = "bulk test",
) -> BulkJob:
    change = plan.Change(definition(graph, attribute_id), operation, given)
    return plan.draft_for_selection(
        ADA, targets, change, source="test selection", reason=reason, why_not=""
    )


def run_job(job: BulkJob, *, slices: int = 50, worker: str = "test-worker") -> BulkJob:
    """Runs the job's slices here until it stops, as a worker would."""
    for _ in range(slices):
        result = engine.run_slice(job.pk, worker, arm_guard=lambda job: None)
        if result.outcome not in {"continue", "later"}:
            break
    job.refresh_from_db()
    return job


def apply_and_run(job: BulkJob, **kwargs: Any) -> BulkJob:
    assert jobs.apply(job, verify=True)
    return run_job(job, **kwargs)


FINISHED = (JobState.COMPLETED, JobState.CANCELLED)
