"""An administrator's bulk change: the README's sample CSV for the demo tenant's 200 users
uploaded, its dry run reviewed, applied, followed to the end, and its result report
checked against Graph. A database worker runs the job beside the live server, as
`make demo` runs one beside the portal."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo-bulk-users.csv"


@pytest.fixture
def worker(live_server: Any) -> Iterator[Worker]:
    runner = Worker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="journey-worker",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    yield runner
    runner.running = False
    thread.join(timeout=30)


def test_upload_a_csv_for_200_users_review_apply_follow_and_check_the_report(
    page: Page,
    live_server: Any,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
    graph_as: Callable[..., Any],
    worker: Worker,
) -> None:
    wanted = list(csv.DictReader(SAMPLE.open(encoding="utf-8")))
    assert len(wanted) == 200
    sign_in_as("ada.admin@contoso.example")
    page.get_by_role("link", name="Bulk changes").click()
    page.get_by_role("link", name="Upload a CSV").click()
    page.get_by_label("CSV file").set_input_files(SAMPLE)
    page.get_by_label("Reason").fill("HR-2027 project dates")
    page.get_by_role("button", name="Check the file").click()

    # The dry run: one item per user and column, and nothing written yet.
    summary = page.get_by_test_id("dry-run-summary")
    expect(summary).to_contain_text("400 items")
    changing = int(page.get_by_test_id("count-change").inner_text())
    unchanged = int(page.get_by_test_id("count-unchanged").inner_text())
    assert changing + unchanged == 400
    assert changing > 300
    first = page.get_by_test_id("item").first
    expect(first.get_by_test_id("after")).not_to_be_empty()

    page.get_by_role("button", name=f"Apply {changing} changes").click()
    # The page follows the job by itself until it completes.
    expect(page.get_by_test_id("job-progress")).to_have_attribute(
        "data-state", "completed", timeout=60_000
    )
    expect(page.get_by_test_id("count-applied")).to_have_text(str(changing))
    expect(page.get_by_test_id("job-verified")).to_contain_text(f"{changing} of {changing}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the result report (CSV)").click()
    text = download_info.value.path().read_text(encoding="utf-8-sig")
    report = list(csv.DictReader(io.StringIO(text)))
    assert len(report) == 400
    by_user = {row["objectId"]: row for row in wanted}
    for row in report:
        assert row["outcome"] in {"applied", "unchanged"}
        body = graph_as(
            "GET", f"/users/{row['objectId']}", params={"$select": "customSecurityAttributes"}
        ).json()
        held = body["customSecurityAttributes"]["Engineering"]
        name = row["attribute"].split("/")[1]
        expected = by_user[row["objectId"]][f"Engineering/{name}"]
        assert str(held[name]).lower() == expected
        if row["outcome"] == "applied":
            assert row["requestId"]
            assert row["auditRecord"]
    assert console_errors == []
