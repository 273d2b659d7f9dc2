"""The bulk pages: a selection's change form, the dry run, applying it, the job page and
its controls, and who may see a job."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

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
