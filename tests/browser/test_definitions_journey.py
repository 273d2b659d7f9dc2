"""The attribute administrator's journey: a new set, a new attribute, and its lifecycle."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_set_and_an_attribute_then_deactivate_and_reactivate(
    page: Page, live_server, sign_in_as: Callable[[str], None], console_errors: list[str]
) -> None:
    sign_in_as("ada.admin@contoso.example")
    page.get_by_role("link", name="Attribute sets").first.click()
    page.get_by_role("link", name="New attribute set").click()

    # The name is checked while it is typed, and the review says it is permanent.
    page.get_by_label("Name").fill("Sales Ops")
    expect(page.locator("#name-feedback")).to_contain_text("cannot contain spaces")
    page.get_by_label("Name").fill("SalesOps")
    expect(page.locator("#name-feedback")).to_contain_text("is available")
    page.get_by_label("Description").fill("Attributes for the sales operations team")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_test_id("permanent-warning")).to_contain_text("can never be changed")
    page.get_by_role("button", name="Create SalesOps").click()
    expect(page.get_by_role("heading", name="SalesOps", exact=True)).to_be_visible()
    expect(page.get_by_text("The attribute set SalesOps was created.")).to_be_visible()

    # A multi-valued String attribute limited to five predefined values.
    page.get_by_role("link", name="New attribute").click()
    page.get_by_label("Name").fill("Territory")
    page.get_by_label("Allow multiple values").check()
    page.get_by_label("Only allow predefined values").check()
    page.get_by_role("textbox", name="Predefined values").fill("North\nSouth\nEast\nWest\nNorth")
    expect(page.locator("#values-feedback")).to_contain_text(
        "more than once or already defined: North"
    )
    page.get_by_role("textbox", name="Predefined values").fill("North\nSouth\nEast\nWest\nCentral")
    expect(page.locator("#values-feedback")).to_contain_text("5 new values; 5 of 100 in all")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_test_id("permanent-warning")).to_contain_text("never tightened again")
    page.get_by_role("button", name="Create Territory").click()
    expect(page.get_by_role("heading", name=re.compile("^Territory"))).to_be_visible()
    expect(page.get_by_test_id("value-row")).to_have_count(5)

    # Deactivate one value: it stays listed, marked deactivated.
    page.get_by_role("button", name="Deactivate West").click()
    west = page.locator('[data-testid="value-row"][data-value="West"]')
    expect(west).to_contain_text("Deactivated")
    expect(page.get_by_role("button", name="Reactivate West")).to_be_visible()

    # Deactivate the attribute after seeing who holds it.
    page.get_by_role("link", name="Deactivate…").click()
    expect(page.get_by_test_id("impact-users")).to_have_text("0")
    expect(page.get_by_test_id("impact")).to_contain_text("Existing assignments stay.")
    page.get_by_label("Reason").fill("Territories move to the CRM")
    page.get_by_role("button", name="Deactivate Territory").click()
    expect(page.get_by_text("The attribute Territory was deactivated.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Territory"))).to_contain_text("Deactivated")

    # And reactivate it.
    page.get_by_role("link", name="Reactivate…").click()
    page.get_by_role("button", name="Reactivate Territory").click()
    expect(page.get_by_role("heading", name=re.compile("Territory"))).to_contain_text("Active")

    # The set page lists it among the active attributes again.
    page.get_by_role("link", name="SalesOps").click()
    expect(page.locator('[data-testid="definition-row"][data-name="Territory"]')).to_be_visible()
    assert console_errors == []


def test_choosing_boolean_disables_multiple_and_predefined_values(
    page: Page, live_server, sign_in_as: Callable[[str], None], console_errors: list[str]
) -> None:
    sign_in_as("ada.admin@contoso.example")
    page.goto(f"{live_server.url}/sets/Engineering/attributes/new")
    page.get_by_label("Boolean").check()
    expect(page.get_by_label("Allow multiple values")).to_be_disabled()
    expect(page.get_by_label("Only allow predefined values")).to_be_disabled()
    page.get_by_label("String").check()
    expect(page.get_by_label("Allow multiple values")).to_be_enabled()
    assert console_errors == []
