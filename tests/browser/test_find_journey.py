"""A lead's question, "who is on Alpine?", answered in the browser and exported; the CSV
is then checked against what Graph itself holds."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from attributes import export
from attributes.spreadsheet import unguard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _alpine_holders(graph_as: Callable[..., Any]) -> dict[str, list[str]]:
    """Every user holding Engineering/Project = Alpine, read straight from Graph."""
    found: dict[str, list[str]] = {}
    params: dict[str, str] | None = {"$select": "id,customSecurityAttributes", "$top": "999"}
    url = "/users"
    while url:
        body = graph_as("GET", url, params=params).json()
        for item in body["value"]:
            engineering = (item.get("customSecurityAttributes") or {}).get("Engineering") or {}
            if "Alpine" in (engineering.get("Project") or []):
                found[item["id"]] = engineering["Project"]
        url = (
            body.get("@odata.nextLink", "").split("/v1.0", 1)[-1]
            if "@odata.nextLink" in body
            else ""
        )
        params = None
    return found


def test_find_everyone_on_a_project_export_them_and_check_the_csv_against_graph(
    page: Page,
    live_server,
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
    graph_as: Callable[..., Any],
) -> None:
    sign_in_as("lee.lead@contoso.example")
    page.get_by_role("link", name="Find by value").click()

    page.get_by_label("Attribute 1").select_option(label="Project")
    page.get_by_label("Operator 1").select_option(label="equals")
    page.get_by_label("Value 1").fill("Alpine")
    page.get_by_label("Look among").select_option(label="Users")
    page.get_by_role("button", name="Find", exact=True).click()

    # The query lives in the address, and Graph's own filter is spelled out.
    expect(page).to_have_url(re.compile(r"/find/\?.*a1=Engineering_Project.*v1=Alpine"))
    expect(page.get_by_test_id("filter-expression")).to_have_text(
        "customSecurityAttributes/Engineering/Project eq 'Alpine'"
    )
    expected = _alpine_holders(graph_as)
    assert expected
    expect(page.get_by_test_id("count")).to_have_text(str(len(expected)))
    rows = page.get_by_test_id("object-row")
    expect(rows).to_have_count(min(len(expected), 25))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"who-has-what-query-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    exported = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))

    assert {row["objectId"] for row in exported} == set(expected)
    for row in exported:
        assert row["objectType"] == "user"
        assert export.split_values(unguard(row["Engineering/Project"])) == expected[row["objectId"]]
        # The lead's export shows only what the lead's roles may read.
        assert all(c.startswith("Engineering/") for c in row if "/" in c)
    assert console_errors == []
