"""Bulk jobs against the emulator: each item applied once, one audit outcome per item, at
the write quota, through faults, pauses, cancellation and an ended sign-in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from attributes.assignment_rules import normal
from attributes.audit import Target, append
from attributes.bulk import engine, jobs
from attributes.models import (
    Action,
    AuditRecord,
    BulkJob,
    ItemState,
    JobState,
    Outcome,
    TargetType,
)
from emulator.harness import EmulatorProcess
from portal.models import WriteBudget
from tests.attributes.bulk_helpers import (
    ADA,
    apply_and_run,
    draft,
    graph_of,
    run_job,
    users,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _held(emu: EmulatorProcess, user_id: str, set_name: str, name: str) -> Any:
    graph = graph_of(emu)
    body = graph.get(f"/users/{user_id}", params={"$select": "customSecurityAttributes"})
    return ((body.get("customSecurityAttributes") or {}).get(set_name) or {}).get(name)


def _records(job: BulkJob) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(job_id=str(job.id)))


def _patches(emu: EmulatorProcess, since: int) -> Counter[str]:
    return Counter(w["target_id"] for w in emu.writes(since) if w["method"] == "PATCH")


def _last_write(emu: EmulatorProcess) -> int:
    writes = emu.writes()
    return writes[-1]["seq"] if writes else 0


def test_each_change_is_written_once_and_audited_once(ada: Client, emu: EmulatorProcess) -> None:
    graph = graph_of(emu)
    targets = users(graph, 30)
    before = {t.id: t.value("Engineering", "Project") for t in targets}
    job = draft(
        graph, targets, "Engineering_Project", "add", ["Cascade"], reason="CHG-1 add Cascade"
    )
    changing = {t.id for t in targets if "Cascade" not in (before[t.id] or [])}
    assert job.items.filter(state=ItemState.CHANGE).count() == len(changing)
    assert job.items.filter(state=ItemState.UNCHANGED).count() == 30 - len(changing)
    since = _last_write(emu)

    job = apply_and_run(job)

    assert job.state == JobState.COMPLETED
    assert job.verified == len(changing)
    # Each changed object was written exactly once, and nothing else was.
    assert _patches(emu, since) == Counter(changing)
    for target in targets:
        held = _held(emu, target.id, "Engineering", "Project")
        assert set(held) == {*(before[target.id] or []), "Cascade"}
    records = _records(job)
    assert sorted(r.target_id for r in records) == sorted(changing)
    assert {(r.outcome, r.reason, r.attribute) for r in records} == {
        (Outcome.SUCCEEDED, "CHG-1 add Cascade", "Project")
    }
    assert all(r.graph_request_id for r in records)
    assert {w["priority"] for w in emu.writes(since)} == {"Low"}


def test_under_random_429s_and_5xx_the_final_state_is_right_and_audited_once(
    ada: Client, emu: EmulatorProcess, settings: Any
) -> None:
    settings.PORTAL_JOB_BACKOFF_SECONDS = 0.01
    graph = graph_of(emu)
    targets = users(graph, 60)
    job = draft(graph, targets, "Engineering_NumVendors", "set", 17)
    changing = {i.target_id for i in job.items.filter(state=ItemState.CHANGE)}
    emu.set_faults(fault_rate_429=0.1, fault_rate_5xx=0.05, retry_after="0")
    since = _last_write(emu)

    job = apply_and_run(job, slices=200)

    emu.set_faults()
    assert job.state == JobState.COMPLETED
    assert dict(Counter(job.items.values_list("state", flat=True))) == {
        ItemState.APPLIED: len(changing),
        **({ItemState.UNCHANGED: 60 - len(changing)} if len(changing) < 60 else {}),
    }
    assert all(_held(emu, t.id, "Engineering", "NumVendors") == 17 for t in targets)
    records = _records(job)
    assert len(records) == len(changing)
    assert {r.target_id for r in records} == changing
    assert {r.outcome for r in records} == {Outcome.SUCCEEDED}
    # Faults answered some sends: those items went again, and only those.
    sent = _patches(emu, since)
    assert set(sent) == changing
    assert sum(sent.values()) >= len(changing)


def test_the_rules_are_checked_again_when_each_item_is_sent(
    ada: Client, emu: EmulatorProcess, graph_as: Any
) -> None:
    graph = graph_of(emu)
    job = draft(graph, users(graph, 5), "Engineering_Project", "add", ["Baker"])
    planned = job.items.filter(state=ItemState.CHANGE).count()
    assert planned
    # Baker is deactivated after the dry run: nothing may get it now.
    response = graph_as(
        "PATCH",
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues/Baker",
        json={"isActive": False},
    )
    assert response.status_code == 204
    since = _last_write(emu)
    job = apply_and_run(job)
    failed = list(job.items.filter(state=ItemState.FAILED))
    assert len(failed) == planned
    assert {i.problem for i in failed} == {"not_predefined"}
    assert "'Baker' is not an active predefined value" in failed[0].message
    assert not _patches(emu, since)
    assert not _records(job)


def test_an_unanswered_send_is_read_again_and_not_sent_twice(
    ada: Client, emu: EmulatorProcess
) -> None:
    graph = graph_of(emu)
    targets = users(graph, 3)
    job = draft(graph, targets, "Engineering_ProjectDate", "set", "2027-02-28")
    dropped = targets[1].id
    # The write happens, then the connection closes before the answer: a lost answer.
    emu.set_faults(
        rules=[
            {
                "method": "PATCH",
                "path": f"/users/{dropped}",
                "status": "drop",
                "after": True,
                "count": 1,
            }
        ]
    )
    since = _last_write(emu)
    job = apply_and_run(job)
    assert job.state == JobState.COMPLETED
    assert _patches(emu, since) == Counter(t.id for t in targets)
    item = job.items.get(target_id=dropped)
    assert (item.state, item.message) == (ItemState.APPLIED, "Found applied when read again.")
    assert AuditRecord.objects.get(seq=item.audit_seq).outcome == Outcome.SUCCEEDED


def test_pause_and_resume_between_rounds(ada: Client, emu: EmulatorProcess) -> None:
    graph = graph_of(emu)
    job = draft(graph, users(graph, 10), "Engineering_ProjectDate", "set", "2027-03-31")
    assert jobs.apply(job, verify=False)
    jobs.pause(job)
    job.refresh_from_db()
    assert job.state == JobState.PAUSED
    # A paused job is not run by a worker.
    assert engine.run_slice(job.pk, "w", arm_guard=lambda j: None).outcome == "busy"
    assert not job.items.exclude(state=ItemState.CHANGE).exclude(state=ItemState.UNCHANGED).exists()
    assert jobs.resume(job)
    # A pause asked for while it runs takes effect before the next round.
    BulkJob.objects.filter(pk=job.pk).update(pause_requested=True)
    result = engine.run_slice(job.pk, "w", arm_guard=lambda j: None)
    assert (result.outcome, result.sent) == (JobState.PAUSED, 0)
    assert jobs.resume(job)
    job = run_job(job)
    assert job.state == JobState.COMPLETED
    assert (
        job.items.filter(state=ItemState.APPLIED).count()
        == job.items.exclude(state=ItemState.UNCHANGED).count()
    )


def test_cancel_sends_nothing_more_and_settles_what_was_sent(
    ada: Client, emu: EmulatorProcess
) -> None:
    graph = graph_of(emu)
    targets = users(graph, 6)
    job = draft(graph, targets, "Engineering_ProjectDate", "set", "2027-04-30")
    assert jobs.apply(job, verify=False)
    # One item was sent and its answer lost, as a worker killed mid-send leaves it.
    sent = job.items.filter(state=ItemState.CHANGE).order_by("line").first()
    assert sent is not None
    graph.patch(
        f"/users/{sent.target_id}",
        {"customSecurityAttributes": {"Engineering": {
            "@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
            "ProjectDate": "2027-04-30"}}},
    )  # fmt: skip
    intent = append(
        actor=ADA, action=Action.ASSIGNMENT_CHANGED,
        target=Target(TargetType.USER, sent.target_id, sent.target_name),
        attribute_set="Engineering", attribute="ProjectDate", before={"value": sent.before},
        after={"value": "2027-04-30"}, reason="", job_id=str(job.id),
    )  # fmt: skip
    job.items.filter(pk=sent.pk).update(state=ItemState.PENDING, audit_seq=intent.seq)
    since = _last_write(emu)

    jobs.cancel(job)
    job = run_job(job)

    assert job.state == JobState.CANCELLED
    assert not _patches(emu, since)
    sent.refresh_from_db()
    assert sent.state == ItemState.APPLIED
    assert AuditRecord.objects.get(seq=intent.seq).outcome == Outcome.SUCCEEDED
    rest = job.items.exclude(pk=sent.pk).exclude(state=ItemState.UNCHANGED)
    assert set(rest.values_list("state", flat=True)) == {ItemState.CANCELLED}
    assert AuditRecord.objects.filter(job_id=str(job.id)).count() == 1


def test_an_ended_sign_in_pauses_the_job_until_the_person_signs_in_again(
    ada: Client, emu: EmulatorProcess, signed_in: Any
) -> None:
    graph = graph_of(emu)
    targets = users(graph, 4)
    job = draft(graph, targets, "Engineering_ProjectDate", "set", "2027-05-31")
    emu.revoke_tokens("ada.admin@contoso.example")
    job = apply_and_run(job)
    assert job.state == JobState.SIGN_IN_NEEDED
    assert "Sign in to continue" in job.message
    assert not job.items.filter(state=ItemState.APPLIED).exists()
    signed_in("ada.admin@contoso.example")
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    job = run_job(job)
    assert job.state == JobState.COMPLETED
    assert all(_held(emu, t.id, "Engineering", "ProjectDate") == "2027-05-31" for t in targets)


def test_two_jobs_in_one_tenant_share_one_write_budget(
    ada: Client, emu: EmulatorProcess, settings: Any
) -> None:
    settings.PORTAL_WRITE_QUOTA = (40, 2.0)
    settings.PORTAL_JOB_SLICE_SECONDS = 0.3
    emu.set_write_quota(limit=40, window_seconds=2)
    graph = graph_of(emu)
    first = draft(graph, users(graph, 45), "Engineering_ProjectDate", "set", "2027-06-30")
    second = draft(graph, users(graph, 45, skip=45), "Engineering_ProjectDate", "set", "2027-06-30")
    assert jobs.apply(first, verify=False)
    assert jobs.apply(second, verify=False)
    since = _last_write(emu)
    log_start = emu.requests_log()[-1]["seq"]
    # One worker, the two jobs taking turns slice by slice.
    for _ in range(200):
        outcomes = [
            engine.run_slice(job.pk, "w", arm_guard=lambda j: None).outcome
            for job in (first, second)
        ]
        if all(o == "busy" for o in outcomes):
            break
    for job in (first, second):
        job.refresh_from_db()
        assert job.state == JobState.COMPLETED
    assert WriteBudget.objects.count() == 1
    writes = emu.writes(since)
    assert len(writes) == 90
    # Together they never went over the quota: no write was throttled...
    throttled = [r for r in emu.requests_log(log_start) if r["status"] == 429]
    assert throttled == []
    # ...and they went no faster than the bucket refills: past its 40, 20 a second.
    times = sorted(datetime.fromisoformat(w["time"]) for w in writes)
    span = (times[-1] - times[0]).total_seconds()
    assert span >= (90 - 40) / 20 * 0.95


def test_a_job_page_shows_progress_and_its_report_matches_graph(
    ada: Client, emu: EmulatorProcess
) -> None:
    graph = graph_of(emu)
    targets = users(graph, 8)
    job = draft(graph, targets, "Engineering_Project", "set", ["Baker"])
    job = apply_and_run(job)
    report = ada.get(f"/bulk/jobs/{job.id}/report.csv")
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    assert header[:3] == ["line", "objectId", "objectType"]
    assert len(rows) == 8
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        held = _held(emu, cells["objectId"], "Engineering", "Project")
        assert normal(held) == normal(["Baker"])
        assert cells["outcome"] in {ItemState.APPLIED, ItemState.UNCHANGED}
        if cells["outcome"] == ItemState.APPLIED:
            assert cells["requestId"]
            assert cells["auditRecord"]
