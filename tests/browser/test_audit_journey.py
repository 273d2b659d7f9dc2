"""An auditor's journey: a change made in the portal is found in the log and on a timeline."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_change_is_found_in_the_log_and_on_the_objects_timeline(
    page: Page, live_server, sign_in_as: Callable[[str], None], console_errors: list[str]
) -> None:
    sign_in_as("ada.admin@contoso.example")

    # The change: a new description for the Marketing set, with a reason.
    page.goto(f"{live_server.url}/sets/Marketing/edit")
    page.get_by_label("Description").fill("Campaign and brand attributes")
    page.get_by_label("Reason").fill("CHG-4711 rename campaign scope")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The attribute set Marketing was updated.")).to_be_visible()

    # The log, filtered as the reason's text is typed.
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Reason contains").fill("CHG-4711")
    expect(page).to_have_url(re.compile(r"/audit/\?.*\bq=CHG-4711"))
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Attribute set updated")
    expect(rows.first).to_contain_text("Succeeded")
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", re.compile("q=CHG-4711"))

    # A malformed date is pointed out at its field, without leaving the page.
    page.get_by_label("From (UTC)").fill("last tuesday")
    expect(page.get_by_test_id("errors-since")).to_contain_text("is neither")
    page.get_by_label("From (UTC)").fill("")
    expect(page.get_by_test_id("errors-since")).to_be_empty()
    expect(rows).to_have_count(1)

    # Its detail: before and after, side by side.
    rows.first.get_by_role("link", name="#").first.click()
    diff = page.get_by_test_id("diff-row").filter(has_text="description")
    expect(diff).to_contain_text("Attributes for marketing team")
    expect(diff).to_contain_text("Campaign and brand attributes")
    # Entra's own log recorded the same change; the detail page links the two.
    expect(page.get_by_test_id("entra-match")).to_contain_text("Seen in Entra's log")

    # The same record on the set's own timeline, reached from the set page.
    page.goto(f"{live_server.url}/sets/Marketing/")
    page.get_by_role("link", name="History of this set").click()
    timeline = page.get_by_test_id("timeline-row")
    expect(timeline).to_have_count(1)
    expect(timeline.first).to_contain_text("CHG-4711 rename campaign scope")

    # And Entra's tab links its entry back to the portal's record.
    page.goto(f"{live_server.url}/audit/entra")
    expect(page.get_by_test_id("portal-link")).to_have_count(1)
    assert console_errors == []
