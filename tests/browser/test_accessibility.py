"""Every page of every workspace, and the page after each main htmx swap, checked with
axe-core: no serious or critical violation, for the administrator and for the roles
whose pages differ (a set-scoped lead, an auditor). Then focus after swaps and the
live regions that announce results and job progress."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADA = "ada.admin@contoso.example"
REY = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"  # a user
AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent, an agent identity
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo-bulk-users.csv"
ALPINE = "/find/?a1=Engineering_Project&o1=eq&v1=Alpine&tab=users"


def _check(page: Page, url: str, path: str, status: int = 200) -> None:
    response = page.goto(url + path)
    assert response is not None
    assert response.status == status, path
    _settled(page)
    assert_accessible(page, where=path)


def _settled(page: Page) -> None:
    """Fragments a page loads by itself (hx-trigger="load") have arrived."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def test_every_page_and_swap_the_administrator_sees_passes_axe(
    page: Page, live_server: Any, sign_in_as: Callable[[str], None], console_errors: list[str]
) -> None:
    url = live_server.url
    _check(page, url, "/")  # the sign-in landing page
    sign_in_as(ADA)
    for path in (
        "/",
        "/sets/",
        "/sets/Engineering/",
        "/sets/new",
        "/sets/Engineering/edit",
        "/sets/Engineering/attributes/new",
        "/sets/Engineering/attributes/Project/",
        f"/objects/user/{REY}/",
        f"/objects/agentIdentity/{AGENT}/",
        ALPINE,
        "/coverage/",
        "/coverage/?required=Engineering_Project&required=Security_Clearance&tab=all",
        "/agents/",
        "/bulk/",
        f"/bulk/new?target=users:{REY}",
        "/bulk/upload",
        "/export/",
        "/audit/",
        "/audit/entra",
    ):
        _check(page, url, path)
    _check(page, url, "/no-such-page/", 404)
    _check(page, url, "/coverage/?required=Nope_Nothing", 400)
    _check(page, url, "/audit/entra?since=last+week", 400)

    # A service principal and an assignment's edit form, reached from lists.
    _check(page, url, "/objects/?tab=servicePrincipals")
    page.get_by_test_id("object-row").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, where="a service principal")
    page.goto(url + ALPINE)
    page.get_by_test_id("object-row").first.get_by_role("link").first.click()
    page.get_by_role("link", name=re.compile("^Change or remove")).first.click()
    expect(page.get_by_role("button", name=re.compile("Save|Assign"))).to_be_visible()
    assert_accessible(page, where="an assignment's edit form")

    # The swaps: results as one types, a tab of results, the value field following the
    # type, the assignment panel following the attribute chosen.
    page.goto(url + "/objects/")
    page.get_by_role("searchbox", name=re.compile("^Search by")).press_sequentially("HR")
    expect(page.get_by_role("link", name="HR Benefits Agent")).to_be_visible()
    assert_accessible(page, where="object results as typed")
    page.locator("#object-results").get_by_role(
        "link", name=re.compile("^Agent identities")
    ).click()
    expect(page.get_by_test_id("object-row").first).to_contain_text("Agent identity")
    assert_accessible(page, where="a tab of results")
    page.goto(url + "/sets/Engineering/attributes/new")
    page.get_by_label("Integer").check()
    expect(page.get_by_label("Integer")).to_be_checked()
    _settled(page)
    assert_accessible(page, where="the definition form after a type change")
    page.goto(url + f"/objects/user/{REY}/")
    page.get_by_label("Attribute", exact=True).select_option(index=1)
    expect(page.locator("#assignment-panel").get_by_test_id("assignment-form")).to_be_visible()
    expect(page.locator("#assignment-panel header")).to_have_count(0)  # the form, not a page
    assert_accessible(page, where="the assignment panel")
    page.goto(url + "/audit/")
    page.get_by_label("From (UTC)").fill("last tuesday")
    expect(page.get_by_test_id("errors-since")).to_contain_text("is neither")
    assert_accessible(page, where="audit filters with an error")

    # A dry run (a draft job) and the job page once applied (queued: no worker here).
    page.goto(url + "/bulk/upload")
    page.get_by_label("CSV file").set_input_files(SAMPLE)
    page.get_by_label("Reason").fill("a11y check")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("dry-run-summary")).to_be_visible()
    assert_accessible(page, where="a dry run")
    page.get_by_role("button", name=re.compile("^Apply")).click()
    expect(page.get_by_test_id("job-state")).to_be_visible()
    assert_accessible(page, where="a queued job")
    _check(page, url, "/bulk/")

    # An audit record: the dry run's job left none, so a change is made first.
    page.goto(url + "/sets/Marketing/edit")
    page.get_by_label("Description").fill("Campaign and brand attributes")
    page.get_by_label("Reason").fill("a11y check")
    page.get_by_role("button", name="Save").click()
    page.goto(url + "/audit/")
    page.get_by_test_id("audit-row").first.get_by_role("link", name="#").first.click()
    expect(page.get_by_test_id("entra-match")).to_be_visible()
    assert_accessible(page, where="an audit record")
    # The error pages above log their status; nothing else may be logged (CSP reports).
    assert [e for e in console_errors if not e.startswith("Failed to load resource")] == []


@pytest.mark.parametrize(
    ("upn", "paths", "refused"),
    [
        (
            "lee.lead@contoso.example",
            ("/", "/sets/", "/sets/Engineering/", f"/objects/user/{REY}/", "/agents/", "/audit/"),
            "/sets/new",
        ),
        (
            "ava.auditor@contoso.example",
            ("/", "/audit/", "/audit/entra", "/objects/", f"/bulk/new?target=users:{REY}"),
            "/sets/new",
        ),
    ],
)
def test_the_pages_that_differ_by_role_pass_axe(
    page: Page,
    live_server: Any,
    sign_in_as: Callable[[str], None],
    upn: str,
    paths: tuple[str, ...],
    refused: str,
) -> None:
    sign_in_as(upn)
    for path in paths:
        _check(page, live_server.url, path)
    _check(page, live_server.url, refused, 403)  # the refusal page naming the missing role


def test_results_are_announced_in_place_and_the_search_box_keeps_focus(
    page: Page, live_server: Any, sign_in_as: Callable[[str], None]
) -> None:
    sign_in_as(ADA)
    page.goto(live_server.url + "/objects/")
    status = page.get_by_test_id("results-status")
    expect(status).to_have_attribute("role", "status")
    status.evaluate("element => { element.dataset.original = 'yes'; }")
    before = status.inner_text()
    search = page.get_by_role("searchbox", name=re.compile("^Search by"))
    search.press_sequentially("HR")
    expect(page.get_by_role("link", name="HR Benefits Agent")).to_be_visible()
    # The same element, its text changed: a re-inserted live region would not be heard.
    expect(status).not_to_have_text(before)
    expect(status).to_have_attribute("data-original", "yes")
    expect(search).to_be_focused()

    # A tab of the results (inside the swapped area): the region stays the same element.
    page.locator("#object-results").get_by_role("link", name=re.compile("^Agent identities")).press(
        "Enter"
    )
    expect(page.get_by_test_id("object-row").first).to_contain_text("Agent identity")
    expect(status).to_have_attribute("data-original", "yes")
