"""The auditor's journey in a browser: a change made in the portal, found in the log by
filtering as you type, opened, seen in Entra's log, and on the object's timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from emulator.control import EmulatorProcess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_a_change_then_find_it_in_the_log_and_on_the_timeline(
    page: Page, live_server, emu: EmulatorProcess
) -> None:
    problems: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", collect)

    # Ada signs in through the emulator's page and creates a set, giving a reason.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.get_by_label("Email or user name").fill("ada.admin@contoso.example")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/sets/new")
    page.get_by_label("Name").fill("Journey")
    page.get_by_label("Description").fill("Made for the audit journey")
    page.get_by_label("Reason").fill("Ticket JRN-7")
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Create Journey").click()
    expect(page.get_by_role("heading", name="Journey", exact=True)).to_be_visible()

    # In the audit log, filtering as you type swaps the results and updates the URL.
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Reason contains").fill("JRN-7")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Attribute set created")
    expect(rows.first).to_contain_text("Succeeded")
    expect(page).to_have_url(re.compile(r"/audit/\?.*q=JRN-7"))
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", re.compile("q=JRN-7"))

    # A malformed date is pointed out at its field, without leaving the page.
    page.get_by_label("From (UTC)").fill("last tuesday")
    expect(page.get_by_test_id("errors-since")).to_contain_text("is neither")
    expect(page.get_by_test_id("filter-errors")).to_be_visible()
    page.get_by_label("From (UTC)").fill("")
    expect(page.get_by_test_id("errors-since")).to_be_empty()
    expect(rows).to_have_count(1)

    # The record, with its reason and diff, and Entra's own entry for it.
    rows.first.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(page.get_by_role("heading", name=re.compile("Attribute set created"))).to_be_visible()
    expect(page.get_by_text("Ticket JRN-7")).to_be_visible()
    expect(page.locator('[data-testid="diff-row"][data-change="added"]').first).to_be_visible()
    expect(page.get_by_test_id("entra-match")).to_contain_text("Seen in Entra's log")

    # The set's timeline lists the change.
    page.get_by_role("link", name="History of this attribute set").click()
    expect(page.get_by_role("heading", name="History of Journey")).to_be_visible()
    expect(page.get_by_test_id("timeline-row")).to_have_count(1)

    # And Entra's tab links its entry back to the portal's record.
    page.goto(f"{live_server.url}/audit/entra")
    expect(page.get_by_test_id("portal-link")).to_have_count(1)
    assert problems == []
