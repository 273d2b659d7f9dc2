"""The bulk pages: a selection's change form, the dry run, applying it, the job page and
its controls, and who may see a job."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import Client

from attributes.bulk import jobs
from attributes.models import BulkJob, ItemState, JobState
from emulator.harness import EmulatorProcess
from tests.attributes.bulk_helpers import graph_of, run_job, users
from tests.html import Html

pytestmark = pytest.mark.django_db(transaction=True)


def _targets(emu: EmulatorProcess, count: int) -> list[str]:
    return [f"users:{u.id}" for u in users(graph_of(emu), count)]


def _preview(client: Client, targets: list[str], **data: Any) -> Any:
    return client.post("/bulk/new", {"target": targets, **data})


def test_choosing_an_attribute_brings_the_value_field_its_shape_needs(
    ada: Client, emu: EmulatorProcess
) -> None:
    targets = _targets(emu, 2)
    fragment = Html(
        ada.get(
            "/bulk/new",
            {"target": targets, "attribute": "Engineering_Project"},
            HTTP_HX_REQUEST="true",
        )
    )
    # Predefined and multi-valued: a checkbox per active value.
    boxes = fragment.css("#value-field input[type=checkbox]")
    assert {b.get("value") for b in boxes} >= {"Alpine", "Baker", "Cascade"}
    number = Html(ada.get("/bulk/new", {"target": targets, "attribute": "Engineering_NumVendors"}))
    assert number.by_label("Value of NumVendors").tag == "input"


def test_a_dry_run_shows_each_object_before_and_after_and_counts_each_verdict(
    ada: Client, emu: EmulatorProcess
) -> None:
    targets = _targets(emu, 12)
    response = _preview(
        ada,
        targets,
        attribute="Engineering_Project",
        operation="add",
        value=["Cascade"],
        reason="CHG-9",
    )
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert job.state == JobState.DRAFT
    page = Html(ada.get(response["Location"]))
    change = job.items.filter(state=ItemState.CHANGE).count()
    unchanged = job.items.filter(state=ItemState.UNCHANGED).count()
    assert change + unchanged == 12
    assert page.by_test_id("count-change")[0].text() == str(change)
    assert page.by_test_id("count-unchanged")[0].text() == str(unchanged)
    assert page.by_role("button", f"Apply {change} change")
    row = next(r for r in page.by_test_id("item") if r.get("data-state") == "change")
    assert "Cascade" in row.one("[data-testid=after]").text()
    assert "Cascade" not in row.one("[data-testid=before]").text()
    # Nothing was written by the dry run.
    assert not emu.writes()


def test_bad_input_is_refused_at_its_field(ada: Client, emu: EmulatorProcess) -> None:
    targets = _targets(emu, 2)
    single = Html(
        _preview(ada, targets, attribute="Engineering_NumVendors", operation="add", value="3")
    )
    assert "adding and removing work on multi-valued attributes" in " ".join(
        single.field_errors("operation", form="bulk")
    )
    wrong = Html(
        _preview(ada, targets, attribute="Engineering_NumVendors", operation="set", value="many")
    )
    assert "'many' is not a whole number" in " ".join(wrong.field_errors("value", form="bulk"))
    nothing = Html(
        _preview(ada, [], attribute="Engineering_NumVendors", operation="set", value="3")
    )
    assert "Select at least one object" in nothing.by_test_id("selection-error")[0].text()
    assert not BulkJob.objects.exists()


def test_the_lead_can_change_only_engineering(lee: Client, emu: EmulatorProcess) -> None:
    targets = _targets(emu, 2)
    page = Html(lee.get("/bulk/new", {"target": targets}))
    options = [o.get("value") for o in page.css("#bulk_attribute option") if o.get("value")]
    assert options
    assert all(o.startswith("Engineering_") for o in options)
    refused = Html(_preview(lee, targets, attribute="Marketing_AppCountry", operation="clear"))
    assert refused.field_errors("attribute", form="bulk")


def test_applying_queues_the_job_and_its_page_follows_it_to_the_end(
    ada: Client, emu: EmulatorProcess
) -> None:
    targets = _targets(emu, 5)
    response = _preview(
        ada, targets, attribute="Engineering_ProjectDate", operation="set", value="2027-07-31"
    )
    job = BulkJob.objects.get()
    applied = ada.post(f"/bulk/jobs/{job.id}/apply", {"verify": "on"})
    assert applied.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    assert job.verify
    # Applying twice does not queue it twice.
    ada.post(f"/bulk/jobs/{job.id}/apply")
    queued = Html(ada.get(response["Location"]))
    progress = queued.by_test_id("job-progress")[0]
    assert progress.get("hx-trigger") == "every 1s"
    job = run_job(job)
    done = Html(ada.get(f"/bulk/jobs/{job.id}/"))
    status = done.by_test_id("job-progress")[0]
    assert status.get("data-state") == JobState.COMPLETED
    assert not status.has("hx-trigger")  # it stops polling
    assert done.by_test_id("count-applied")[0].text() == str(
        job.items.filter(state=ItemState.APPLIED).count()
    )
    assert "changed objects hold the new value" in done.by_test_id("job-verified")[0].text()


def test_a_job_is_seen_by_who_started_it_and_by_tenant_wide_log_readers_only(
    ada: Client, lee: Client, rey: Client, emu: EmulatorProcess
) -> None:
    targets = _targets(emu, 2)
    _preview(ada, targets, attribute="Engineering_ProjectDate", operation="set", value="2027-08-31")
    job = BulkJob.objects.get()
    # Lee reads the portal's log for Engineering only; a job is the whole log's business.
    assert lee.get(f"/bulk/jobs/{job.id}/").status_code == 404
    assert rey.get(f"/bulk/jobs/{job.id}/").status_code == 200
    # Only the person who started it controls it.
    assert rey.post(f"/bulk/jobs/{job.id}/apply").status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.DRAFT


def test_discarding_a_dry_run_leaves_nothing(ada: Client, emu: EmulatorProcess) -> None:
    _preview(
        ada,
        _targets(emu, 2),
        attribute="Engineering_ProjectDate",
        operation="set",
        value="2027-09-30",
    )
    job = BulkJob.objects.get()
    ada.post(f"/bulk/jobs/{job.id}/discard")
    assert not BulkJob.objects.exists()


def _all_matching(client: Client, page_url: str, params: dict[str, str]) -> tuple[str, QueryDict]:
    page = Html(client.get(page_url, params))
    link = page.by_test_id("bulk-all")[0]
    href = str(link.get("href"))
    return link.text(), QueryDict(urlsplit(href).query)


def test_all_matches_of_a_search_become_the_dry_runs_objects(
    ada: Client, emu: EmulatorProcess
) -> None:
    text, fields = _all_matching(
        ada, "/find/", {"a1": "Engineering_Project", "o1": "eq", "v1": "Alpine", "tab": "users"}
    )
    holders = [
        u
        for u in users(graph_of(emu), 999)
        if "Alpine" in (u.value("Engineering", "Project") or [])
    ]
    assert text == f"Change all {len(holders)} matching"
    form = Html(ada.get("/bulk/new", fields))
    assert "Find by value: all matches" in form.by_test_id("selection")[0].text()
    ada.post(
        "/bulk/new",
        {
            **fields.dict(),
            "attribute": "Engineering_Project",
            "operation": "remove",
            "value": ["Alpine"],
        },
    )
    job = BulkJob.objects.get()
    assert {i.target_id for i in job.items.all()} == {u.id for u in holders}
    assert job.items.filter(state=ItemState.CHANGE).count() == len(holders)


def test_a_coverage_reports_gaps_become_the_dry_runs_objects(
    ada: Client, emu: EmulatorProcess
) -> None:
    params = {"required": "AgentAttributes_AgentApprovalStatus", "tab": "agentIdentities"}
    text, fields = _all_matching(ada, "/coverage/", params)
    assert text == "Change all 2 matching"
    ada.post(
        "/bulk/new",
        {
            **fields.dict(),
            "attribute": "AgentAttributes_AgentApprovalStatus",
            "operation": "add",
            "value": ["New"],
        },
    )
    job = BulkJob.objects.get()
    assert sorted(i.target_name for i in job.items.all()) == [
        "Lead Research Agent",
        "Proposal Drafting Agent",
    ]
    assert {i.target_type for i in job.items.all()} == {"servicePrincipal"}


def test_ticked_agents_on_the_board_become_the_dry_runs_objects(ada: Client) -> None:
    board = Html(ada.get("/agents/", {"status": "In_Review"}))
    ticks = [str(t.get("value")) for t in board.by_test_id("tick")]
    assert len(ticks) == 2
    assert board.by_test_id("bulk-all")[0].text() == "Change all 2 matching"
    ada.post(
        "/bulk/new",
        {
            "target": ticks,
            "attribute": "AgentAttributes_RiskTier",
            "operation": "set",
            "value": "Low",
        },
    )
    job = BulkJob.objects.get()
    assert sorted(f"servicePrincipals:{i.target_id}" for i in job.items.all()) == sorted(ticks)


def _csv_file(text: str, name: str = "changes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_an_uploaded_file_is_checked_then_dry_run_then_applied(
    ada: Client, emu: EmulatorProcess
) -> None:
    targets = users(graph_of(emu), 4)
    rows = "".join(f"{t.id},user,2027-10-{10 + n}\n" for n, t in enumerate(targets))
    response = ada.post(
        "/bulk/upload",
        {
            "file": _csv_file(f"objectId,objectType,Engineering/ProjectDate\n{rows}"),
            "reason": "HR-77",
        },
    )
    assert response.status_code == 302
    job = BulkJob.objects.get()
    assert (job.source, job.reason, job.state) == ("Upload: changes.csv", "HR-77", JobState.DRAFT)
    assert sorted(job.items.values_list("line", flat=True)) == [2, 3, 4, 5]
    assert jobs.apply(job, verify=True)
    job = run_job(job)
    for n, target in enumerate(targets):
        body = graph_of(emu).get(
            f"/users/{target.id}", params={"$select": "customSecurityAttributes"}
        )
        assert body["customSecurityAttributes"]["Engineering"]["ProjectDate"] == f"2027-10-{10 + n}"


def test_an_upload_with_problems_lists_them_by_line_and_keeps_nothing(ada: Client) -> None:
    text = (
        "objectId,objectType,Engineering/NumVendors\n"
        "4c2b71b7-2dc0-465f-b7f1-975c35db0440,user,3\n"
        "oops,user,4\n"
        "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65,servicePrincipal,four\n"
    )
    page = Html(ada.post("/bulk/upload", {"file": _csv_file(text)}))
    problems = [
        [cell.text() for cell in row.css("td")] for row in page.by_test_id("upload-problem")
    ]
    assert problems == [
        [
            "3",
            "objectId",
            "'oops' is not an object id: ids are 32 hexadecimal digits in groups "
            "of 8-4-4-4-12, e.g. d8fd6d05-1391-5683-a152-f7c0f1ef8043.",
        ],
        [
            "4",
            "Engineering/NumVendors",
            "'four' is not a whole number, and this attribute holds integers.",
        ],
    ]
    assert not BulkJob.objects.exists()
    refused = Html(ada.post("/bulk/upload", {"file": _csv_file("no,header,here\n")}))
    assert refused.field_errors("file", form="upload") == [
        "Unknown columns 'no', 'header', 'here' (line 1): attribute columns are named "
        "Set/Attribute, e.g. Engineering/Project."
    ]


def test_an_unknown_object_in_a_file_is_refused_in_the_dry_run(ada: Client) -> None:
    text = (
        "objectId,objectType,Engineering/NumVendors\n00000000-0000-4000-8000-000000000000,user,3\n"
    )
    ada.post("/bulk/upload", {"file": _csv_file(text)})
    item = BulkJob.objects.get().items.get()
    assert (item.state, item.problem, item.line) == (ItemState.REFUSED, "not_found", 2)


def test_a_template_holds_the_selected_objects_current_values(
    ada: Client, emu: EmulatorProcess
) -> None:
    targets = users(graph_of(emu), 3)
    response = ada.get(
        "/bulk/template.csv",
        {"target": [f"users:{t.id}" for t in targets], "attribute": ["Engineering_Project"]},
    )
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "objectId,objectType,kind,displayName,principalName,Engineering/Project"
    assert [line.split(",")[0] for line in lines[1:]] == [t.id for t in targets]
