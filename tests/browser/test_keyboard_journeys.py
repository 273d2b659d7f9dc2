"""One journey per workspace with the keyboard alone: after signing in, only Tab,
Shift+Tab, Enter, Space, arrows and typing; no clicks. Every element reached shows
where the focus is, and each journey's outcome is checked in Graph or on the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_bulk_journey import worker  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada.admin@contoso.example"
LEE = "lee.lead@contoso.example"
REY = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"


def _tab_to(page: Page, target: Locator, *, back: bool = False, limit: int = 120) -> None:
    """Presses Tab (or Shift+Tab) until `target` has the focus, and checks the focus shows."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            ring = target.evaluate(
                "e => { const s = getComputedStyle(e); return [e.matches(':focus-visible'),"
                " s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
            )
            assert ring[0], f"{target} is focused but not :focus-visible"
            assert (ring[1] != "none" and ring[2] != "0px") or ring[3] != "none", ring
            return
    raise AssertionError(f"{target} was not reached with {limit} presses of Tab")


def _go(page: Page, link: str) -> None:
    """Follows a link of the main navigation, from the top of the page."""
    _tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name=link))
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link)
    ).to_have_attribute("aria-current", "page")


def _graph_set(graph_as: Callable[..., Any], path: str, set_name: str) -> Any:
    body = graph_as("GET", path, params={"$select": "customSecurityAttributes"}).json()
    return (body.get("customSecurityAttributes") or {}).get(set_name) or {}


def test_definitions_a_value_is_added_by_keyboard(
    page: Page, sign_in_as: Callable[[str], None], graph_as: Callable[..., Any]
) -> None:
    sign_in_as(ADA)
    _go(page, "Attribute sets")
    _tab_to(page, page.get_by_role("link", name="Engineering", exact=True))
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_role("link", name="Project", exact=True))
    page.keyboard.press("Enter")
    values = page.get_by_label("New predefined values")
    _tab_to(page, values)
    page.keyboard.type("Zephyr")
    _tab_to(page, page.locator("form", has=values).get_by_label("Reason"))
    page.keyboard.type("Keyboard journey")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_be_visible()
    allowed = graph_as(
        "GET", "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues"
    ).json()["value"]
    assert "Zephyr" in {value["id"] for value in allowed}


def test_objects_search_open_and_assign_by_keyboard(
    page: Page, sign_in_as: Callable[[str], None], graph_as: Callable[..., Any]
) -> None:
    sign_in_as(ADA)
    _go(page, "Users, apps and agents")
    search = page.get_by_role("searchbox", name=re.compile("^Search by"))
    _tab_to(page, search)
    page.keyboard.type("Rey")
    rey = page.locator("#object-results").get_by_role("link", name="Rey Reader")
    expect(rey).to_be_visible()
    expect(search).to_be_focused()  # results arrive; the box keeps the focus
    _tab_to(page, rey)
    page.keyboard.press("Enter")
    picker = page.get_by_label("Attribute", exact=True)
    _tab_to(page, picker)
    page.keyboard.type("Proj")
    panel = page.locator("#assignment-panel")
    baker = panel.get_by_role("checkbox", name="Baker")
    _tab_to(page, baker)
    page.keyboard.press("Space")
    _tab_to(page, panel.get_by_label("Reason"))
    page.keyboard.type("Keyboard journey")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_be_visible()
    assert "Baker" in _graph_set(graph_as, f"/users/{REY}", "Engineering").get("Project", [])


def test_a_kind_tab_keeps_the_focus_when_its_results_replace_the_tabs(
    page: Page, sign_in_as: Callable[[str], None]
) -> None:
    sign_in_as(ADA)
    _go(page, "Users, apps and agents")
    tabs = page.get_by_test_id("kind-tabs")
    agents = tabs.get_by_role("link", name=re.compile("^Agent identities"))
    _tab_to(page, agents)
    page.keyboard.press("Enter")
    # The tabs are swapped with the results (and the hidden tab field out of band): the
    # focus moves to the same tab in the new content instead of falling to <body>.
    expect(agents).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("object-row").first).to_contain_text("Agent identity")
    expect(agents).to_be_focused()
    assert page.evaluate("() => document.activeElement !== document.body")
    # The next Tab goes on from there, to the tab after it.
    page.keyboard.press("Tab")
    expect(agents.locator("xpath=following-sibling::a[1]")).to_be_focused()


def test_find_by_value_builds_a_query_by_keyboard(
    page: Page, sign_in_as: Callable[[str], None]
) -> None:
    sign_in_as(LEE)
    _go(page, "Find by value")
    _tab_to(page, page.get_by_label("Attribute 1"))
    page.keyboard.type("Proj")
    _tab_to(page, page.get_by_label("Value 1"))
    page.keyboard.type("Alpine")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"a1=Engineering_Project.*v1=Alpine"))
    expect(page.get_by_test_id("filter-expression")).to_contain_text("Alpine")
    expect(page.get_by_test_id("object-row").first).to_be_visible()


def test_coverage_reports_by_keyboard(page: Page, sign_in_as: Callable[[str], None]) -> None:
    sign_in_as(ADA)
    _go(page, "Coverage")
    first = page.get_by_role("group", name="Required attributes").get_by_role("checkbox").first
    _tab_to(page, first)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"required="))
    expect(page.get_by_test_id("kind-count").first).to_be_visible()


def test_agent_board_moves_an_agent_with_a_reason_by_keyboard(
    page: Page, sign_in_as: Callable[[str], None], graph_as: Callable[..., Any]
) -> None:
    sign_in_as(ADA)
    _go(page, "Agent board")
    row = page.get_by_test_id("agent").first
    agent = row.get_attribute("data-id")
    to = row.get_by_label(re.compile("^To "))
    _tab_to(page, to)
    wanted = to.locator("option").nth(1).inner_text().strip()
    page.keyboard.press("ArrowDown")
    expect(to).not_to_have_value("")
    _tab_to(page, row.get_by_label(re.compile("^Reason ")))
    page.keyboard.type("Keyboard journey")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_be_visible()
    held = _graph_set(graph_as, f"/servicePrincipals/{agent}", "AgentAttributes")
    assert wanted in held.get("AgentApprovalStatus", []), (wanted, held)


def test_bulk_chooses_objects_dry_runs_and_applies_by_keyboard(
    page: Page,
    sign_in_as: Callable[[str], None],
    graph_as: Callable[..., Any],
    worker: Any,  # noqa: F811
) -> None:
    sign_in_as(ADA)
    _go(page, "Users, apps and agents")
    search = page.get_by_role("searchbox", name=re.compile("^Search by"))
    _tab_to(page, search)
    page.keyboard.type("Rey")
    tick = page.get_by_role("checkbox", name="Select Rey Reader")
    _tab_to(page, tick)
    page.keyboard.press("Space")
    expect(tick).to_be_checked()
    _tab_to(page, page.get_by_role("button", name="Change the ticked objects"))
    page.keyboard.press("Enter")
    _tab_to(page, page.get_by_label("Attribute"))
    page.keyboard.type("Proj")
    expect(page.get_by_label("Attribute")).to_have_value(re.compile("Project"))
    baker = page.get_by_role("checkbox", name="Baker")
    expect(baker).to_be_visible()  # the value field follows the attribute chosen
    _tab_to(page, baker)
    page.keyboard.press("Space")
    _tab_to(page, page.get_by_label("Reason"))
    page.keyboard.type("Keyboard journey")
    page.keyboard.press("Enter")
    apply = page.get_by_role("button", name=re.compile("^Apply 1 change"))
    _tab_to(page, apply)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("job-progress")).to_have_attribute(
        "data-state", "completed", timeout=30_000
    )
    assert "Baker" in _graph_set(graph_as, f"/users/{REY}", "Engineering").get("Project", [])


def test_audit_filters_and_opens_a_record_by_keyboard(
    page: Page, sign_in_as: Callable[[str], None], signed_in: Callable[[str], Client]
) -> None:
    changed = signed_in(ADA).post(
        "/sets/Marketing/edit",
        {
            "description": "Campaign and brand attributes",
            "seen_description": "Attributes for marketing team",
            "max_attributes": "",
            "seen_max_attributes": "",
            "reason": "CHG-4711 by keyboard",
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:3000]
    sign_in_as(ADA)
    _go(page, "Audit log")
    _tab_to(page, page.get_by_label("Reason contains"))
    page.keyboard.type("CHG-4711")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(1)
    _tab_to(page, rows.first.get_by_role("link").first)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("diff-row").filter(has_text="description")).to_contain_text(
        "Campaign and brand attributes"
    )
