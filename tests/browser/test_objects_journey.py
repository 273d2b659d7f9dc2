"""The assignment workspace in Chromium: finding an agent as you type, assigning it a
multi-valued predefined attribute, finding the change in its history and the audit log,
removing it; two people saving the same attribute at once; and doing it by keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from emulator.harness import EmulatorProcess
from tests.browser.people import sign_in_on, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent
ADA = "ada.admin@contoso.example"
LEE = "lee.lead@contoso.example"


def _graph_value(emu: EmulatorProcess, collection: str, object_id: str, set_name: str) -> Any:
    """What Graph itself holds in one attribute set of an object (None when nothing)."""
    response = emu.graph(
        "GET",
        f"/{collection}/{object_id}",
        token=emu.password_token(ADA),
        params={"$select": "customSecurityAttributes"},
    )
    assert response.status_code == 200, response.text
    return (response.json().get("customSecurityAttributes") or {}).get(set_name)


def test_the_lead_finds_an_agent_as_they_type_assigns_projects_and_removes_them(
    page: Page,
    live_server: Any,
    emu: EmulatorProcess,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
) -> None:
    sign_in_as(LEE)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Users, apps and agents"
    ).click()
    expect(page.get_by_role("heading", name="Users, apps and agents", level=1)).to_be_visible()

    # Results follow the box as it is typed: no submit, the address follows too.
    results = page.locator("#object-results")
    expect(results.get_by_role("link", name="Ada Admin")).to_be_visible()
    search = page.get_by_role("searchbox", name=re.compile("^Search by display name"))
    search.press_sequentially("HR")
    expect(results.get_by_role("link", name="HR Benefits Agent")).to_be_visible()
    expect(results.get_by_role("link", name="Ada Admin")).to_have_count(0)
    search.press_sequentially(" Onb")
    expect(results.get_by_role("link", name="HR Benefits Agent")).to_have_count(0)
    expect(results.get_by_role("link", name="HR Onboarding Agent").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/objects/\?q=HR(\+|%20)Onb"))

    # The agent identities tab: the agent identity alone, not its user account.
    results.get_by_role("link", name=re.compile(r"^Agent identities")).click()
    expect(results.get_by_role("link", name=re.compile(r"^Agent identities"))).to_have_attribute(
        "aria-current", "page"
    )
    rows = results.get_by_test_id("object-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Agent identity")
    rows.first.get_by_role("link", name="HR Onboarding Agent").click()
    expect(page.get_by_role("heading", name=re.compile("^HR Onboarding Agent"))).to_contain_text(
        "Agent identity"
    )
    expect(page.get_by_test_id("scope-note")).to_contain_text("Engineering")

    # Choosing the attribute loads its form into the page.
    page.get_by_label("Attribute", exact=True).select_option(label="Project")
    panel = page.locator("#assignment-panel")
    expect(panel.get_by_role("heading", name="Engineering / Project")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/objects/agentIdentity/{AGENT}/$"))
    panel.get_by_role("checkbox", name="Alpine").check()
    panel.get_by_role("checkbox", name="Cascade").check()
    panel.get_by_label("Reason").fill("ENG-204 onboarding pilot")
    panel.get_by_role("button", name="Save Project").click()

    expect(page.get_by_text("Project of HR Onboarding Agent was saved.")).to_be_visible()
    project = page.get_by_role("row", name=re.compile(r"^Project\b"))
    expect(project.get_by_role("listitem")).to_have_text(["Alpine", "Cascade"])
    assert _graph_value(emu, "servicePrincipals", AGENT, "Engineering")["Project"] == [
        "Alpine",
        "Cascade",
    ]

    # The object's history has the record, with the reason.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History of HR Onboarding Agent")).to_be_visible()
    entry = page.get_by_test_id("timeline-row")
    expect(entry).to_have_count(1)
    expect(entry.first).to_contain_text("Engineering / Project")
    expect(entry.first).to_contain_text("ENG-204 onboarding pilot")
    expect(entry.first).to_contain_text("Succeeded")

    # And so does the audit log.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    record = page.get_by_test_id("audit-row").filter(has_text="ENG-204 onboarding pilot")
    expect(record).to_have_count(1)
    expect(record).to_contain_text("HR Onboarding Agent")
    expect(record).to_contain_text(LEE)

    # Removing it: back to the object through the search, its row leads to the attribute.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Users, apps and agents"
    ).click()
    page.get_by_role("searchbox", name=re.compile("^Search by display name")).fill(AGENT)
    found = page.locator("#object-results").get_by_test_id("object-row")
    expect(found).to_have_count(1)
    found.get_by_role("link", name="HR Onboarding Agent").click()
    page.get_by_role("link", name="Change or remove Project").click()
    expect(page.get_by_test_id("current-value")).to_have_text("Alpine, Cascade")
    removal = page.get_by_test_id("remove-form")
    removal.get_by_label("Reason").fill("ENG-204 pilot over")
    removal.get_by_role("button", name="Remove Project").click()
    expect(page.get_by_text("Project was removed from HR Onboarding Agent.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Project\b"))).to_have_count(0)
    assert "Project" not in (_graph_value(emu, "servicePrincipals", AGENT, "Engineering") or {})
    assert console_errors == []


def test_two_people_save_the_same_attribute_and_the_second_sees_both_versions(
    page: Page,
    browser: Browser,
    live_server: Any,
    emu: EmulatorProcess,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
) -> None:
    edit = f"{live_server.url}/objects/agentIdentity/{AGENT}/attributes/Engineering_ProjectDate/"
    sign_in_as(ADA)
    other = browser.new_context()
    try:
        lee = other.new_page()
        lee_errors = watch_console(lee)
        sign_in_on(lee, live_server.url, LEE)

        # Both open the attribute while it is unassigned.
        for person in (page, lee):
            person.goto(edit)
            expect(person.get_by_test_id("current-value")).to_have_text("Not assigned.")

        # Ada saves first.
        page.get_by_label("Value of ProjectDate").fill("2026-10-01")
        page.get_by_label("Reason").fill("Ada's date")
        page.get_by_role("button", name="Save ProjectDate").click()
        expect(page.get_by_text("ProjectDate of HR Onboarding Agent was saved.")).to_be_visible()

        # Lee saves another value over what he saw: nothing is written, both are shown.
        lee.get_by_label("Value of ProjectDate").fill("2026-12-24")
        lee.get_by_label("Reason").fill("Lee's date")
        lee.get_by_role("button", name="Save ProjectDate").click()
        expect(lee.get_by_role("heading", level=1)).to_contain_text(
            "changed ProjectDate on HR Onboarding Agent while you were editing it"
        )
        theirs = lee.get_by_test_id("theirs")
        expect(theirs.get_by_role("heading", name="Now in Entra")).to_be_visible()
        expect(theirs.get_by_role("listitem")).to_have_text(["2026-10-01"])
        mine = lee.get_by_test_id("mine")
        expect(mine.get_by_role("heading", name="What you saved")).to_be_visible()
        expect(mine.get_by_role("listitem")).to_have_text(["2026-12-24"])
        graph = _graph_value(emu, "servicePrincipals", AGENT, "Engineering")
        assert graph["ProjectDate"] == "2026-10-01"

        # Lee keeps his: it is saved over Ada's, which he has now seen.
        lee.get_by_role("button", name="Save mine instead").click()
        expect(lee.get_by_text("ProjectDate of HR Onboarding Agent was saved.")).to_be_visible()
        row = lee.get_by_role("row", name=re.compile(r"^ProjectDate\b"))
        expect(row.get_by_role("listitem")).to_have_text(["2026-12-24"])
        graph = _graph_value(emu, "servicePrincipals", AGENT, "Engineering")
        assert graph["ProjectDate"] == "2026-12-24"

        # The history has both saves, each with its own reason, and nothing in between.
        lee.get_by_role("link", name="History").click()
        entries = lee.get_by_test_id("timeline-row")
        expect(entries).to_have_count(2)
        expect(entries.nth(0)).to_contain_text("Lee's date")
        expect(entries.nth(1)).to_contain_text("Ada's date")
        # The conflict page answers 409 on purpose; Chromium logs any such status. Nothing else.
        assert lee_errors == [
            "Failed to load resource: the server responded with a status of 409 (Conflict)"
        ]
    finally:
        other.close()
    assert console_errors == []


def _tab_to(page: Page, target: Locator, *, limit: int = 80) -> None:
    """Presses Tab until `target` has the focus, as someone moving through the page would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} was not reached with {limit} presses of Tab")


def test_an_assignment_is_made_with_the_keyboard_alone(
    page: Page,
    live_server: Any,
    emu: EmulatorProcess,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
) -> None:
    sign_in_as(LEE)
    page.goto(f"{live_server.url}/objects/agentIdentity/{AGENT}/")

    # The picker: reached by Tab, the attribute chosen by typing its name's first letters.
    picker = page.get_by_label("Attribute", exact=True)
    _tab_to(page, picker)
    page.keyboard.type("Proj")
    expect(picker).to_have_value("Engineering_Project")
    panel = page.locator("#assignment-panel")
    expect(panel.get_by_role("heading", name="Engineering / Project")).to_be_visible()

    # Into the form: Space ticks a value, Enter in the reason saves.
    baker = panel.get_by_role("checkbox", name="Baker")
    _tab_to(page, baker)
    page.keyboard.press("Space")
    expect(baker).to_be_checked()
    reason = panel.get_by_label("Reason")
    _tab_to(page, reason)
    page.keyboard.type("Keyboard only")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Project of HR Onboarding Agent was saved.")).to_be_visible()
    project = page.get_by_role("row", name=re.compile(r"^Project\b"))
    expect(project.get_by_role("listitem")).to_have_text(["Baker"])
    assert _graph_value(emu, "servicePrincipals", AGENT, "Engineering")["Project"] == ["Baker"]

    # Removing it: Tab to the row's link, Enter, Tab to Remove, Enter.
    _tab_to(page, page.get_by_role("link", name="Change or remove Project"))
    page.keyboard.press("Enter")
    remove = page.get_by_role("button", name="Remove Project")
    _tab_to(page, remove)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Project was removed from HR Onboarding Agent.")).to_be_visible()
    assert "Project" not in (_graph_value(emu, "servicePrincipals", AGENT, "Engineering") or {})
    assert console_errors == []
