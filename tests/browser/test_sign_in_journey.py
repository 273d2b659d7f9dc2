"""Each demo account signs in through the emulator's page, sees its roles, and signs out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACCOUNTS = {
    "ada.admin@contoso.example": [
        ("Attribute Definition Administrator", "whole tenant"),
        ("Attribute Assignment Administrator", "whole tenant"),
        ("Attribute Log Reader", "whole tenant"),
    ],
    "lee.lead@contoso.example": [
        ("Attribute Assignment Administrator", "attribute set Engineering")
    ],
    "ava.auditor@contoso.example": [
        ("Attribute Log Reader", "whole tenant"),
        ("Attribute Assignment Reader", "whole tenant"),
    ],
    "rey.reader@contoso.example": [("Attribute Definition Reader", "whole tenant")],
}


def _roles_on_page(page: Page) -> list[tuple[str, str]]:
    rows = page.get_by_test_id("role-row")
    return [
        (
            rows.nth(i).locator("td").nth(0).inner_text(),
            rows.nth(i).locator("td").nth(1).inner_text(),
        )
        for i in range(rows.count())
    ]


def _sign_out_and_go_back(page: Page, live_server, upn: str) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="You have signed out")).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    # The pages are never stored, so going back asks the portal again, which refuses.
    expect(page.get_by_text(upn)).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in with Microsoft")).to_be_visible()


@pytest.mark.parametrize("upn", list(ACCOUNTS))
def test_a_person_with_attribute_roles_signs_in_sees_them_and_signs_out(
    upn: str,
    page: Page,
    live_server,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
) -> None:
    sign_in_as(upn)
    expect(page.get_by_test_id("upn")).to_have_text(upn)
    assert sorted(_roles_on_page(page)) == sorted(ACCOUNTS[upn])
    _sign_out_and_go_back(page, live_server, upn)
    assert console_errors == []


def test_the_global_administrator_is_told_which_roles_are_missing(
    page: Page, live_server, sign_in_as: Callable[[str], None], console_errors: list[str]
) -> None:
    sign_in_as("gil.global@contoso.example")
    expect(page.get_by_test_id("no-roles")).to_be_visible()
    expect(page.get_by_text("Global Administrator does not include these roles.")).to_be_visible()
    assert ("Global Administrator", "whole tenant") in _roles_on_page(page)
    _sign_out_and_go_back(page, live_server, "gil.global@contoso.example")
    assert console_errors == []
