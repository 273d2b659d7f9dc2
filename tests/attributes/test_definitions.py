"""The attribute administrator's workspace through the portal, against the emulator.

Each rule of graph-api.md §3 is tested on both sides: the portal's form rejects it
with a clear message at the field, and the emulator (standing in for Graph) refuses
the same input, so the two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from attributes.forms import value_token
from attributes.models import Action, AuditRecord, Outcome
from emulator.harness import EmulatorProcess
from tests.html import Html

pytestmark = pytest.mark.django_db(transaction=True)

GraphAs = Callable[..., Any]
HOSTILE = "<script>alert(\"x\")</script> 'quoted' \u202eevil\u202c"


def _post(client: Client, url: str, data: dict[str, Any]) -> str:
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _definition(graph_as: GraphAs, definition_id: str) -> dict[str, Any]:
    response = graph_as(
        "GET",
        "/directory/customSecurityAttributeDefinitions",
        params={"$filter": f"id eq '{definition_id}'", "$expand": "allowedValues"},
    )
    items = response.json()["value"]
    if not items:
        response = graph_as("GET", f"/directory/customSecurityAttributeDefinitions/{definition_id}")
        assert response.status_code == 200, response.text
        data = response.json()
        data["allowedValues"] = graph_as(
            "GET", f"/directory/customSecurityAttributeDefinitions/{definition_id}/allowedValues"
        ).json()["value"]
        return data
    return items[0]


def _round_trips(response: Any) -> int:
    return int(response["X-Graph-Round-Trips"])


# Pages and who sees what -------------------------------------------------------------


def test_list_and_set_pages_stay_within_two_graph_calls(ada: Client) -> None:
    ada.get("/")  # reads and caches the person's roles
    sets_page = ada.get("/sets/")
    set_page = ada.get("/sets/Engineering/")
    assert sets_page.status_code == set_page.status_code == 200
    assert _round_trips(sets_page) <= 2
    assert _round_trips(set_page) <= 2


def test_the_sets_list_shows_counts_and_tenant_gauges(ada: Client, graph_as: GraphAs) -> None:
    definitions = graph_as("GET", "/directory/customSecurityAttributeDefinitions").json()["value"]
    sets = graph_as("GET", "/directory/attributeSets").json()["value"]
    page = Html(ada.get("/sets/"))
    active = sum(1 for d in definitions if d["status"] == "Available")
    assert f"{len(sets)} / 500" in page.text()
    assert f"{active} / 500" in page.text()
    engineering = [d for d in definitions if d["attributeSet"] == "Engineering"]
    (row,) = [r for r in page.by_role("row") if r.by_role("link", "Engineering", exact=True)]
    counts = [cell.text() for cell in row.css("td.num")]
    assert counts == [
        str(sum(1 for d in engineering if d["status"] == "Available")),
        str(sum(1 for d in engineering if d["status"] != "Available")),
    ]


def test_filter_as_you_type_returns_only_matching_rows(ada: Client) -> None:
    response = ada.get(
        "/sets/", {"q": "engin"}, headers={"HX-Request": "true", "HX-Target": "set-rows"}
    )
    fragment = Html(response)
    assert fragment.is_fragment
    assert [(root.tag, root.get("id")) for root in fragment.roots()] == [("tbody", "set-rows")]
    assert [link.text() for link in fragment.by_role("link")] == ["Engineering"]


def test_the_lead_sees_only_the_engineering_set(lee: Client) -> None:
    page = Html(lee.get("/sets/"))
    assert [row.one("a").text() for row in page.by_test_id("set-row")] == ["Engineering"]
    assert not page.by_test_id("tenant-limits")
    marketing = lee.get("/sets/Marketing/")
    assert marketing.status_code == 403
    assert "not the attribute set Marketing" in Html(marketing).text()


def test_the_lead_can_read_engineering_but_not_define(lee: Client) -> None:
    page = Html(lee.get("/sets/Engineering/"))
    assert page.by_test_id("why-not-write")
    assert not page.css('[href="/sets/Engineering/attributes/new"]')
    response = lee.get("/sets/Engineering/attributes/new")
    assert response.status_code == 403
    assert "Attribute Definition Administrator" in response.content.decode()


def test_the_reader_sees_everything_without_edit_controls(rey: Client) -> None:
    sets = Html(rey.get("/sets/"))
    assert len(sets.by_test_id("set-row")) >= 3
    assert not sets.css('[href="/sets/new"]')
    assert "Attribute Definition Administrator role for the whole tenant" in sets.text()
    definition = Html(rey.get("/sets/Engineering/attributes/Project/"))
    assert definition.main().by_role("form") == []
    assert definition.by_test_id("why-not-write")
    assert rey.get("/sets/new").status_code == 403
    assert (
        rey.post("/sets/Engineering/attributes/Project/values", {"values": "X"}).status_code == 403
    )


def test_the_global_admin_gets_the_missing_role_page_everywhere(gil: Client) -> None:
    for url in ("/sets/", "/sets/Engineering/", "/sets/Engineering/attributes/Project/"):
        response = gil.get(url)
        assert response.status_code == 403
        assert "Global Administrator does not include these roles" in response.content.decode()


def test_set_page_separates_active_and_deactivated(ada: Client, graph_as: GraphAs) -> None:
    definitions = graph_as(
        "GET",
        "/directory/customSecurityAttributeDefinitions",
        params={"$filter": "attributeSet eq 'Engineering'"},
    ).json()["value"]
    deactivated = sorted(d["name"] for d in definitions if d["status"] != "Available")
    active = sorted(d["name"] for d in definitions if d["status"] == "Available")
    assert deactivated

    def names(url: str) -> list[str | None]:
        return [row.get("data-name") for row in Html(ada.get(url)).by_test_id("definition-row")]

    assert names("/sets/Engineering/") == active
    assert names("/sets/Engineering/?status=deactivated") == deactivated


def test_rows_expand_to_their_predefined_values(ada: Client) -> None:
    row = Html(ada.get("/sets/Engineering/")).one(
        '[data-testid="definition-row"][data-name="Project"]'
    )
    assert "Alpine" in [item.text() for item in row.one("details").by_role("listitem")]


# Creating a set ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Has space", "cannot contain spaces"),
        ("Cost-Center", "cannot contain -"),
        ("Under_score", "cannot contain _"),
        ("1Team", "cannot start with a digit"),
        ("A" * 33, "33 characters long; the limit is 32"),
        ("engineering", "already an attribute set named 'engineering' as 'Engineering'"),
    ],
)
def test_bad_set_names_are_refused_by_the_form_and_by_graph(
    ada: Client, graph_as: GraphAs, name: str, message: str
) -> None:
    errors = Html(_post(ada, "/sets/new", {"name": name})).field_errors("name")
    assert any(message in error for error in errors), errors
    assert graph_as("POST", "/directory/attributeSets", json={"id": name}).status_code == 400
    assert not AuditRecord.objects.exists()


def test_live_name_check_explains_problems_as_you_type(ada: Client) -> None:
    bad = ada.get("/sets/check-name", {"name": "Bad Name"}, headers={"HX-Request": "true"})
    assert "cannot contain spaces" in bad.content.decode()
    good = ada.get("/sets/check-name", {"name": "Finance2"}, headers={"HX-Request": "true"})
    assert "is available" in good.content.decode()


def test_creating_a_set_reviews_the_permanent_name_first(ada: Client, graph_as: GraphAs) -> None:
    data = {"name": "Research", "description": "R&D", "max_attributes": "20", "reason": "CHG-1"}
    review = _post(ada, "/sets/new", data)
    assert "can never be changed, and the set can never be deleted" in review
    assert graph_as("GET", "/directory/attributeSets/Research").status_code == 404
    response = ada.post("/sets/new", {**data, "confirm": "yes"})
    assert response["Location"] == "/sets/Research/"
    created = graph_as("GET", "/directory/attributeSets/Research").json()
    assert (created["description"], created["maxAttributesPerSet"]) == ("R&D", 20)
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome, record.reason) == (
        Action.SET_CREATED,
        Outcome.SUCCEEDED,
        "CHG-1",
    )
    assert record.after == {"description": "R&D", "maxAttributesPerSet": 20}
    assert record.graph_request_id


def test_going_back_from_review_keeps_what_was_typed(ada: Client) -> None:
    page = Html(
        _post(ada, "/sets/new", {"name": "Research", "description": "R&D", "confirm": "edit"})
    )
    assert page.by_label("Name").get("value") == "Research"
    assert page.by_label("Description").get("value") == "R&D"


def test_a_name_taken_meanwhile_is_reported_at_the_name_field(
    ada: Client, graph_as: GraphAs
) -> None:
    data = {"name": "Research", "description": "", "reason": ""}
    _post(ada, "/sets/new", data)
    assert graph_as("POST", "/directory/attributeSets", json={"id": "Research"}).status_code == 201
    errors = Html(_post(ada, "/sets/new", {**data, "confirm": "yes"})).field_errors("name")
    assert any("already an attribute set named 'Research'" in e for e in errors), errors


def test_graph_refusals_keep_the_form_and_show_graphs_reason(
    ada: Client, emu: EmulatorProcess
) -> None:
    emu.set_faults(
        rules=[{"method": "POST", "path": "/directory/attributeSets$", "status": 500, "count": 20}]
    )
    page = Html(
        _post(ada, "/sets/new", {"name": "Research", "description": "keep me", "confirm": "yes"})
    )
    errors = page.form_errors()
    assert errors
    assert "Request id for support" in errors[0]
    assert page.by_label("Description").get("value") == "keep me"
    record = AuditRecord.objects.get()
    assert record.outcome in {Outcome.FAILED, Outcome.UNKNOWN}
    assert record.error_code


# Editing a set -----------------------------------------------------------------------


def test_the_maximum_cannot_go_below_the_active_attributes(ada: Client, graph_as: GraphAs) -> None:
    active = sum(
        1
        for d in graph_as(
            "GET",
            "/directory/customSecurityAttributeDefinitions",
            params={"$filter": "attributeSet eq 'Engineering'"},
        ).json()["value"]
        if d["status"] == "Available"
    )
    page = Html(_post(ada, "/sets/Engineering/edit", {"max_attributes": str(active - 1)}))
    assert any(f"has {active} active attributes" in e for e in page.field_errors("max_attributes"))
    assert (
        graph_as(
            "PATCH",
            "/directory/attributeSets/Engineering",
            json={"maxAttributesPerSet": active - 1},
        ).status_code
        == 400
    )


def test_an_edit_made_meanwhile_is_not_overwritten(ada: Client, graph_as: GraphAs) -> None:
    current = graph_as("GET", "/directory/attributeSets/Engineering").json()
    graph_as("PATCH", "/directory/attributeSets/Engineering", json={"description": "Theirs"})
    response = ada.post(
        "/sets/Engineering/edit",
        {
            "description": "Mine",
            "max_attributes": current["maxAttributesPerSet"],
            "seen_description": current["description"],
            "seen_max_attributes": current["maxAttributesPerSet"],
        },
        follow=True,
    )
    page = Html(response)
    assert any(
        "changed by someone else" in alert.text() for alert in page.one("#alerts").css(".alert")
    )
    assert page.by_label("Description").get("value") == "Theirs"
    assert graph_as("GET", "/directory/attributeSets/Engineering").json()["description"] == "Theirs"
    assert not AuditRecord.objects.exists()


# Creating a definition ---------------------------------------------------------------


def _definition_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Region",
        "description": "",
        "type": "String",
        "is_searchable": "on",
        "values": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("form", "field", "message", "graph_body"),
    [
        (
            {"type": "Boolean", "is_collection": "on"},
            "is_collection",
            "cannot hold multiple values",
            {"type": "Boolean", "isCollection": True, "usePreDefinedValuesOnly": False},
        ),
        (
            {"type": "Boolean", "use_predefined_only": "on"},
            "use_predefined_only",
            "cannot use predefined values",
            {"type": "Boolean", "isCollection": False, "usePreDefinedValuesOnly": True},
        ),
        (
            {"values": "North\nSo#uth"},
            "values",
            "contains #",
            {"allowedValues": [{"id": "So#uth", "isActive": True}]},
        ),
        (
            {"values": "x" * 65},
            "values",
            "65 characters long; the limit is 64",
            {"allowedValues": [{"id": "x" * 65, "isActive": True}]},
        ),
        (
            {"values": "\n".join(f"V{i}" for i in range(101))},
            "values",
            "at most 100",
            {"allowedValues": [{"id": f"V{i}", "isActive": True} for i in range(101)]},
        ),
        (
            {"type": "Integer", "values": "12\ntwelve"},
            "values",
            "not a whole number",
            {"type": "Integer", "allowedValues": [{"id": "twelve", "isActive": True}]},
        ),
        (
            {"description": "d" * 129},
            "description",
            "129 characters long; the limit is 128",
            {"description": "d" * 129},
        ),
    ],
    ids=[
        "boolean-multi",
        "boolean-predefined",
        "bad-char",
        "too-long",
        "over-100",
        "not-integer",
        "long-description",
    ],
)
def test_bad_definitions_are_refused_by_the_form_and_by_graph(
    ada: Client,
    graph_as: GraphAs,
    form: dict[str, str],
    field: str,
    message: str,
    graph_body: dict[str, Any],
) -> None:
    errors = Html(
        _post(ada, "/sets/Engineering/attributes/new", _definition_form(**form))
    ).field_errors(field)
    assert any(message in error for error in errors), errors
    body = {
        "attributeSet": "Engineering",
        "name": "Region",
        "type": "String",
        "isCollection": False,
        "isSearchable": True,
        "status": "Available",
        "usePreDefinedValuesOnly": False,
        **graph_body,
    }
    refused = graph_as("POST", "/directory/customSecurityAttributeDefinitions", json=body)
    assert refused.status_code == 400, refused.text


def test_duplicate_values_are_shown_as_you_type(ada: Client) -> None:
    response = ada.post(
        "/sets/check-values",
        {"type": "String", "values": "North\nSouth\nNorth\nnorth"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "3 new values; 3 of 100 in all" in html
    assert "more than once or already defined: North" in html
    assert "Differ only in case" in html


def test_a_definition_name_is_unique_in_its_set_regardless_of_case(
    ada: Client, graph_as: GraphAs
) -> None:
    page = Html(_post(ada, "/sets/Engineering/attributes/new", _definition_form(name="project")))
    assert any("already an attribute in this set" in e for e in page.field_errors("name"))
    body = {
        "attributeSet": "Engineering",
        "name": "project",
        "type": "String",
        "isCollection": False,
        "isSearchable": True,
        "status": "Available",
        "usePreDefinedValuesOnly": False,
    }
    assert (
        graph_as("POST", "/directory/customSecurityAttributeDefinitions", json=body).status_code
        == 400
    )


def test_choosing_boolean_disables_the_choices_it_forbids(ada: Client) -> None:
    response = ada.get(
        "/sets/Engineering/attributes/new",
        {"type": "Boolean"},
        headers={"HX-Request": "true", "HX-Target": "definition-form"},
    )
    fragment = Html(response)
    assert [root.get("id") for root in fragment.roots()] == ["definition-form"]
    for label in ("Allow multiple values", "Only allow predefined values"):
        assert fragment.by_label(label).has("disabled")


def test_creating_a_predefined_multi_valued_string_attribute(
    ada: Client, graph_as: GraphAs
) -> None:
    data = _definition_form(
        name="Region",
        description="Sales region",
        is_collection="on",
        use_predefined_only="on",
        values="North\nSouth\nEast\nWest\nCentral",
        reason="CHG-2",
    )
    review = _post(ada, "/sets/Engineering/attributes/new", data)
    assert "These choices are permanent" in review
    assert "can later be relaxed to allow other values, but never tightened" in review
    response = ada.post("/sets/Engineering/attributes/new", {**data, "confirm": "yes"})
    assert response["Location"] == "/sets/Engineering/attributes/Region/"
    created = _definition(graph_as, "Engineering_Region")
    assert created["isCollection"] is True
    assert created["usePreDefinedValuesOnly"] is True
    assert sorted(v["id"] for v in created["allowedValues"]) == [
        "Central",
        "East",
        "North",
        "South",
        "West",
    ]
    record = AuditRecord.objects.get()
    assert record.action == Action.DEFINITION_CREATED
    assert record.target_id == "Engineering_Region"
    assert record.after["allowedValues"] == ["North", "South", "East", "West", "Central"]


def test_a_non_searchable_choice_is_flagged_as_permanent_in_review(ada: Client) -> None:
    data = _definition_form(is_searchable=None)
    review = _post(ada, "/sets/Engineering/attributes/new", data)
    assert "you will never be able to filter users or applications by this attribute" in review


# Editing a definition and its values ---------------------------------------------------


def test_adding_one_value_and_then_several(
    ada: Client, graph_as: GraphAs, emu: EmulatorProcess
) -> None:
    url = "/sets/Engineering/attributes/Project/values"
    assert ada.post(url, {"values": "Everest"}).status_code == 302
    assert ada.post(url, {"values": "Fuji\nGlacier"}).status_code == 302
    values = {v["id"] for v in _definition(graph_as, "Engineering_Project")["allowedValues"]}
    assert {"Everest", "Fuji", "Glacier"} <= values
    writes = [
        (e["method"], e["path"])
        for e in emu.requests_log()
        if e["method"] in {"POST", "PATCH"} and "Engineering_Project" in e["path"]
    ]
    assert [method for method, _ in writes] == ["POST", "PATCH"]
    assert writes[0][1].endswith("/allowedValues")
    actions = list(AuditRecord.objects.order_by("seq").values_list("action", "after"))
    assert actions == [
        (Action.VALUE_ADDED, {"added": ["Everest"]}),
        (Action.VALUE_ADDED, {"added": ["Fuji", "Glacier"]}),
    ]


def test_adding_an_existing_value_is_refused_at_the_field(ada: Client) -> None:
    page = Html(_post(ada, "/sets/Engineering/attributes/Project/values", {"values": "Alpine"}))
    assert any("already defined: Alpine" in e for e in page.field_errors("values", form="add"))


def test_deactivating_and_reactivating_a_value(ada: Client, graph_as: GraphAs) -> None:
    url = "/sets/Engineering/attributes/Project/values/status"
    alpine = value_token("Alpine")
    assert ada.post(url, {"value": alpine, "active": "false"}).status_code == 302
    values = {
        v["id"]: v["isActive"]
        for v in _definition(graph_as, "Engineering_Project")["allowedValues"]
    }
    assert values["Alpine"] is False
    assert ada.post(url, {"value": alpine, "active": "true"}).status_code == 302
    values = {
        v["id"]: v["isActive"]
        for v in _definition(graph_as, "Engineering_Project")["allowedValues"]
    }
    assert values["Alpine"] is True
    assert list(AuditRecord.objects.order_by("seq").values_list("action", flat=True)) == [
        Action.VALUE_DEACTIVATED,
        Action.VALUE_REACTIVATED,
    ]


def test_relaxing_predefined_only_is_one_way(ada: Client, graph_as: GraphAs) -> None:
    page = ada.get("/sets/Engineering/attributes/Project/").content.decode()
    assert "This cannot be undone" in page
    response = ada.post(
        "/sets/Engineering/attributes/Project/edit",
        {
            "description": "Active projects for user",
            "seen_description": "Active projects for user",
            "allow_other_values": "on",
        },
    )
    assert response.status_code == 302
    assert _definition(graph_as, "Engineering_Project")["usePreDefinedValuesOnly"] is False
    page = Html(ada.get("/sets/Engineering/attributes/Project/"))
    assert not page.css('[name="allow_other_values"]')
    tighten = graph_as(
        "PATCH",
        "/directory/customSecurityAttributeDefinitions/Engineering_Project",
        json={"usePreDefinedValuesOnly": True},
    )
    assert tighten.status_code == 400


def test_value_usage_counts_match_graph(ada: Client, graph_as: GraphAs) -> None:
    response = ada.get(
        "/sets/Engineering/attributes/Project/usage",
        headers={"HX-Request": "true", "HX-Target": "values-table"},
    )
    rows = {
        row.get("data-value"): row.one('[data-testid="users"]').text()
        for row in Html(response).by_test_id("value-row")
    }
    assert rows
    for value, shown in rows.items():
        expected = graph_as(
            "GET",
            "/users",
            params={
                "$filter": f"customSecurityAttributes/Engineering/Project eq '{value}'",
                "$count": "true",
                "$top": "1",
            },
            headers={"ConsistencyLevel": "eventual"},
        ).json()["@odata.count"]
        assert int(shown) == expected


def test_deactivation_shows_its_impact_then_keeps_assignments(
    ada: Client, graph_as: GraphAs
) -> None:
    holders = graph_as(
        "GET",
        "/users",
        params={
            "$filter": "startsWith(customSecurityAttributes/Engineering/ProjectDate,'')",
            "$count": "true",
            "$select": "id",
            "$top": "999",
        },
        headers={"ConsistencyLevel": "eventual"},
    ).json()
    impact = ada.get("/sets/Engineering/attributes/ProjectDate/status").content.decode()
    page = Html(impact)
    assert page.by_test_id("impact-users")[0].text() == str(holders["@odata.count"])
    assert "Existing assignments stay" in page.text()
    response = ada.post("/sets/Engineering/attributes/ProjectDate/status", {"reason": "retired"})
    assert response.status_code == 302
    assert _definition(graph_as, "Engineering_ProjectDate")["status"] == "Deprecated"
    holder = holders["value"][0]["id"]
    still = graph_as(
        "GET", f"/users/{holder}", params={"$select": "customSecurityAttributes"}
    ).json()
    assert "ProjectDate" in still["customSecurityAttributes"]["Engineering"]
    reactivate = Html(ada.get("/sets/Engineering/attributes/ProjectDate/status"))
    assert "Reactivate ProjectDate" in reactivate.text()
    assert ada.post("/sets/Engineering/attributes/ProjectDate/status", {}).status_code == 302
    assert _definition(graph_as, "Engineering_ProjectDate")["status"] == "Available"


def test_an_uncountable_attribute_says_so(ada: Client) -> None:
    impact = ada.get("/sets/Engineering/attributes/NumVendors/status").content.decode()
    assert "Graph cannot count holders of this attribute" in impact


def test_help_text_is_kept_in_the_portal_and_audited(ada: Client, graph_as: GraphAs) -> None:
    before = _definition(graph_as, "Engineering_Project")
    url = "/sets/Engineering/attributes/Project/help"
    assert ada.post(url, {"text": "Use the project code from Jira."}).status_code == 302
    page = Html(ada.get("/sets/Engineering/attributes/Project/"))
    assert [p.text() for p in page.by_test_id("help-text")] == ["Use the project code from Jira."]
    assert _definition(graph_as, "Engineering_Project") == before
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome, record.after) == (
        Action.HELP_TEXT_CHANGED,
        Outcome.SUCCEEDED,
        {"text": "Use the project code from Jira."},
    )


# Hostile strings -----------------------------------------------------------------------


def test_hostile_strings_are_escaped_everywhere(ada: Client, graph_as: GraphAs) -> None:
    unicode_value = "é" * 63 + "\u05d0"
    graph_as("PATCH", "/directory/attributeSets/Engineering", json={"description": HOSTILE[:128]})
    graph_as(
        "PATCH",
        "/directory/customSecurityAttributeDefinitions/Engineering_Project",
        json={"description": HOSTILE[:128]},
    )
    graph_as(
        "POST",
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues",
        json={"id": unicode_value, "isActive": True},
    )
    pages = [
        ada.get("/sets/").content.decode(),
        ada.get("/sets/Engineering/").content.decode(),
        ada.get("/sets/Engineering/attributes/Project/").content.decode(),
    ]
    for html in pages:
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#x27;quoted&#x27;" in html
    assert unicode_value in pages[2]


WRITES = [
    ("/sets/new", {"name": "Research", "confirm": "yes"}),
    ("/sets/Engineering/edit", {"description": "x"}),
    ("/sets/Engineering/attributes/new", _definition_form(confirm="yes")),
    ("/sets/Engineering/attributes/Project/edit", {"description": "x"}),
    ("/sets/Engineering/attributes/Project/values", {"values": "Everest"}),
    (
        "/sets/Engineering/attributes/Project/values/status",
        {"value": value_token("Alpine"), "active": "false"},
    ),
    ("/sets/Engineering/attributes/Project/status", {"reason": "x"}),
    ("/sets/Engineering/attributes/Project/help", {"text": "x"}),
]


@pytest.mark.parametrize(
    "upn",
    [
        "lee.lead@contoso.example",
        "ava.auditor@contoso.example",
        "rey.reader@contoso.example",
        "gil.global@contoso.example",
    ],
)
def test_people_without_the_definition_role_cannot_change_anything(
    signed_in: Callable[[str], Client], graph_as: GraphAs, emu: EmulatorProcess, upn: str
) -> None:
    client = signed_in(upn)
    before = graph_as(
        "GET", "/directory/customSecurityAttributeDefinitions", params={"$expand": "allowedValues"}
    ).json()
    for url, data in WRITES:
        assert client.post(url, data).status_code == 403, url
    after = graph_as(
        "GET", "/directory/customSecurityAttributeDefinitions", params={"$expand": "allowedValues"}
    ).json()
    assert after == before
    assert not AuditRecord.objects.exists()
    assert not [
        e
        for e in emu.requests_log()
        if e["method"] in {"POST", "PATCH"} and e.get("kind") == "graph"
    ]


def test_the_auditor_reads_definitions_without_edit_controls(
    signed_in: Callable[[str], Client],
) -> None:
    ava = signed_in("ava.auditor@contoso.example")
    sets = Html(ava.get("/sets/"))
    assert len(sets.by_test_id("set-row")) >= 3
    page = Html(ava.get("/sets/Engineering/attributes/Project/"))
    assert page.by_test_id("why-not-write")
    assert page.main().by_role("form") == []
