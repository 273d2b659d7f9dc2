"""Find by value, the who-has-what export, coverage and the agent board, against the
emulator. Query results are compared with a brute-force evaluation of the same condition
over every object Graph holds, read by id-less listing with their values."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from attributes import export
from attributes.directory import list_definitions
from attributes.models import Action, AuditRecord, Outcome
from attributes.objects import TAB_BY_KEY
from attributes.spreadsheet import unguard
from emulator.harness import EmulatorProcess
from portal.graph import GraphClient
from portal.http import http_session
from tests.html import Html

pytestmark = pytest.mark.django_db(transaction=True)

GraphAs = Callable[..., Any]
SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"


def _everyone(graph_as: GraphAs, collection: str = "users") -> dict[str, dict[str, Any]]:
    """Every object's values, straight from Graph: {id: {"Set/Attribute": value}}."""
    found: dict[str, dict[str, Any]] = {}
    url, params = f"/{collection}", {"$select": "id,customSecurityAttributes", "$top": "999"}
    while url:
        body = graph_as("GET", url, params=params).json()
        for item in body["value"]:
            values = {}
            for set_name, attributes in (item.get("customSecurityAttributes") or {}).items():
                for name, value in attributes.items():
                    if "@" not in name:
                        values[f"{set_name}/{name}"] = value
            found[item["id"]] = values
        url, params = body.get("@odata.nextLink", ""), None
        if url:
            url = url.split("/v1.0", 1)[1]
    return found


def _export_ids(client: Client, params: dict[str, str]) -> set[str]:
    response = client.get("/find/export.json", params)
    assert response.status_code == 200, response.content[:500]
    return {row["objectId"] for row in json.loads(b"".join(response.streaming_content))}


def _matches(value: Any, operator: str, wanted: Any) -> bool:
    items = value if isinstance(value, list) else [] if value is None else [value]
    if operator == "eq":
        return wanted in items
    if operator == "ne":
        return wanted not in items
    return any(str(item).startswith(str(wanted)) for item in items)


CASES = [
    ("Engineering_Project", "eq", "Alpine", False),
    ("Engineering_Project", "ne", "Alpine", False),
    ("Engineering_Project", "eq", "Alpine", True),
    ("Engineering_Project", "startsWith", "Ba", False),
    ("Engineering_ProjectDate", "startsWith", "2026", False),
    ("Engineering_ProjectDate", "ne", "2026-06-30", False),
    ("Engineering_NumVendors", "eq", "4", False),
    ("Engineering_NumVendors", "ne", "4", True),
    ("Engineering_Certification", "eq", "true", False),
    ("Engineering_CostCenter", "ne", "1001", False),
    ("Marketing_AppCountry", "eq", "Canada", False),
]


@pytest.mark.parametrize(("attribute", "operator", "value", "negate"), CASES)
def test_each_operator_finds_exactly_what_a_brute_force_evaluation_finds(
    ada: Client, graph_as: GraphAs, attribute: str, operator: str, value: str, negate: bool
) -> None:
    set_name, name = attribute.split("_")
    typed: Any = int(value) if name in {"NumVendors", "CostCenter"} else value
    typed = typed == "true" if name == "Certification" else typed
    expected = {
        object_id
        for object_id, values in _everyone(graph_as).items()
        if _matches(values.get(f"{set_name}/{name}"), operator, typed) != negate
    }
    params = {"a1": attribute, "o1": operator, "v1": value, "tab": "users"}
    if negate:
        params["n1"] = "on"
    assert _export_ids(ada, params) == expected
    page = Html(ada.get("/find/", params))
    assert page.by_test_id("count")[0].text() == str(len(expected))


def test_conditions_combine_with_and_and_or(ada: Client, graph_as: GraphAs) -> None:
    everyone = _everyone(graph_as)
    alpine = {i for i, v in everyone.items() if "Alpine" in (v.get("Engineering/Project") or [])}
    certified = {i for i, v in everyone.items() if v.get("Engineering/Certification") is True}
    both = {"a1": "Engineering_Project", "v1": "Alpine", "a2": "Engineering_Certification",
            "v2": "true", "tab": "users"}  # fmt: skip
    assert _export_ids(ada, both) == alpine & certified
    assert _export_ids(ada, {**both, "match": "any"}) == alpine | certified


def test_the_page_shows_graphs_exact_filter_and_explains_ne_on_collections(ada: Client) -> None:
    page = Html(
        ada.get("/find/", {"a1": "Engineering_Project", "o1": "ne", "v1": "Alpine", "tab": "users"})
    )
    shown = page.by_test_id("graph-filter")[0].text()
    assert "$filter=customSecurityAttributes/Engineering/Project+ne+'Alpine'" in shown
    assert "ConsistencyLevel: eventual" in shown
    assert "objects holding none of the value" in page.by_test_id("ne-note")[0].text()
    bookmark = page.by_test_id("bookmark")[0].get("href") or ""
    assert "a1=Engineering_Project" in bookmark
    assert "o1=ne" in bookmark


def test_only_searchable_attributes_can_be_chosen_and_the_others_say_why(ada: Client) -> None:
    page = Html(ada.get("/find/"))
    options = {o.get("value") for o in page.css("#find_a1 option")}
    assert "Engineering_Project" in options
    assert "Marketing_Campaign" not in options
    note = page.by_test_id("not-searchable")[0].text()
    assert "Marketing / Campaign" in note
    assert "can ever filter by it" in note


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"a1": "Engineering_Project", "v1": "alpine"},
            "v1",
            "not one of Project's predefined values",
        ),
        ({"a1": "Engineering_NumVendors", "v1": "four"}, "v1", "is not a whole number"),
        ({"a1": "Engineering_NumVendors", "o1": "startsWith", "v1": "4"}, "o1", "works on text"),
        ({"a1": "Engineering_Certification", "v1": "yes"}, "v1", "is true or false"),
        ({"a1": "Engineering_ProjectDate", "v1": ""}, "v1", "Enter the value"),
        ({"a1": "Marketing_Campaign", "v1": "x"}, "a1", "Select a valid choice"),
    ],
)
def test_bad_conditions_are_refused_at_the_field(
    ada: Client, emu: EmulatorProcess, params: dict[str, str], field: str, message: str
) -> None:
    response = ada.get("/find/", params)
    assert response.status_code == 400
    errors = Html(response).field_errors(field, form="find")
    assert any(message in error for error in errors), errors


def test_the_lead_can_query_only_engineering(lee: Client) -> None:
    options = {
        o.get("value") for o in Html(lee.get("/find/")).css("#find_a1 option") if o.get("value")
    }
    assert options
    assert all(value.startswith("Engineering_") for value in options)
    refused = lee.get("/find/", {"a1": "Marketing_AppCountry", "v1": "Canada"})
    assert refused.status_code == 400


# The who-has-what export ---------------------------------------------------------------------


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _read_back(cell: str, is_list: bool, integer: bool) -> Any:
    cell = unguard(cell)
    if cell == "":
        return None
    values: list[Any] = export.split_values(cell) if is_list else [cell]
    if integer:
        values = [int(v) for v in values]
    elif cell in {"true", "false"} and not is_list:
        values = [cell == "true"]
    return values if is_list else values[0]


def test_the_tenant_export_reads_back_to_exactly_what_graph_holds(
    ada: Client, graph_as: GraphAs
) -> None:
    hostile = ['=HYPERLINK("http://evil")', "a;b", "back\\slash", "'quoted", "+1", "-2"]
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "Datacenter@odata.type": "#Collection(String)",
                "Datacenter": hostile,
                "ProjectDate": "@SUM(1+1)",
            }
        }
    }
    user = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"
    assert graph_as("PATCH", f"/users/{user}", json=body).status_code == 204
    response = ada.get("/export/all.csv")
    assert response.streaming
    rows = _csv(response)
    graph = {**_everyone(graph_as), **_everyone(graph_as, "servicePrincipals")}
    assert {row["objectId"] for row in rows} == set(graph)
    columns = [c for c in rows[0] if "/" in c]
    multi = {"Engineering/Project", "Engineering/Datacenter", "Engineering/CostCenter",
             "Marketing/AppCountry", "AgentAttributes/AgentApprovalStatus",
             "ResourceAttributes/Department"}  # fmt: skip
    integers = {"Engineering/NumVendors", "Engineering/CostCenter", "Security/RiskScore"}
    for row in rows:
        for column in columns:
            held = graph[row["objectId"]].get(column)
            assert _read_back(row[column], column in multi, column in integers) == held, (
                row["objectId"],
                column,
            )
    mine = next(row for row in rows if row["objectId"] == user)
    # Every formula-like cell is guarded; none starts with = + - @ unguarded.
    assert mine["Engineering/ProjectDate"] == "'@SUM(1+1)"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())


def test_a_set_export_lists_its_holders_with_its_columns(ada: Client, graph_as: GraphAs) -> None:
    rows = _csv(ada.get("/export/sets/AgentAttributes.csv"))
    holders = {
        object_id
        for object_id, values in _everyone(graph_as, "servicePrincipals").items()
        if any(key.startswith("AgentAttributes/") for key in values)
    } | {
        object_id
        for object_id, values in _everyone(graph_as).items()
        if any(key.startswith("AgentAttributes/") for key in values)
    }
    assert {row["objectId"] for row in rows} == holders
    assert [c for c in rows[0] if "/" in c] == [
        "AgentAttributes/AgentApprovalStatus",
        "AgentAttributes/Autonomous",
        "AgentAttributes/RiskTier",
    ]


def test_the_json_export_keeps_types(ada: Client) -> None:
    response = ada.get("/export/sets/Engineering.json")
    rows = json.loads(b"".join(response.streaming_content))
    projects = [r["Engineering/Project"] for r in rows if "Engineering/Project" in r]
    assert projects
    assert all(isinstance(p, list) for p in projects)
    vendors = [r["Engineering/NumVendors"] for r in rows if "Engineering/NumVendors" in r]
    assert all(isinstance(v, int) for v in vendors)


@pytest.fixture
def ada_graph(emu: EmulatorProcess) -> GraphClient:
    token = emu.password_token("ada.admin@contoso.example")
    return GraphClient(
        session=http_session(),
        token_provider=lambda force_refresh=False: token,
        base_url=emu.graph_root,
    )


def test_the_export_streams_page_by_page(
    ada_graph: GraphClient, emu: EmulatorProcess, graph_as: GraphAs
) -> None:
    scope = export.Scope(tabs=(TAB_BY_KEY["users"],), columns=(), page_size=50)
    everyone = len(_everyone(graph_as))
    before = len(emu.requests_log())

    def pages_read() -> int:
        return len([e for e in emu.requests_log()[before:] if e["path"].endswith("/users")])

    found = export.exported_objects(ada_graph, scope)
    next(found)
    # While the first page is read, one page waits and one is on its way: no more.
    assert pages_read() <= 3
    for _ in range(49):
        next(found)
    assert pages_read() <= 3
    assert 1 + 49 + len(list(found)) == everyone
    assert pages_read() == -(-everyone // 50)


def test_page_and_chunk_boundaries_do_not_change_a_byte(ada_graph: GraphClient) -> None:
    columns = tuple(list_definitions(ada_graph))
    tabs = (TAB_BY_KEY["users"], TAB_BY_KEY["servicePrincipals"])
    whole = "".join(export.csv_stream(ada_graph, export.Scope(tabs=tabs, columns=columns)))
    # Pages of 7 rows written in chunks of 11: the boundaries seldom meet.
    small = export.Scope(tabs=tabs, columns=columns, page_size=7)
    chunks = list(export.csv_stream(ada_graph, small, batch=11))
    assert len(chunks) > 2
    assert "".join(chunks) == whole
    assert all(chunk.endswith("\r\n") for chunk in chunks)


def test_the_results_page_through_every_match(ada: Client, graph_as: GraphAs) -> None:
    everyone = _everyone(graph_as)
    holders = {i for i, v in everyone.items() if "Alpine" in (v.get("Engineering/Project") or [])}
    expected = set(everyone) - holders
    assert len(expected) > 2 * 25
    params = {"a1": "Engineering_Project", "o1": "ne", "v1": "Alpine", "tab": "users"}
    seen: list[str] = []
    page = Html(ada.get("/find/", params))
    while True:
        seen += [str(row.get("data-id")) for row in page.by_test_id("object-row")]
        following = page.by_test_id("next-page")
        if not following:
            break
        page = Html(ada.get(f"/find/{following[0].get('href')}"))
    assert len(seen) == len(set(seen))
    assert set(seen) == expected


def test_the_lead_exports_only_engineering(lee: Client) -> None:
    rows = _csv(lee.get("/export/all.csv"))
    columns = [c for c in rows[0] if "/" in c]
    assert columns
    assert all(c.startswith("Engineering/") for c in columns)


def test_split_undoes_join_for_any_text() -> None:
    for values in (["a", "b"], ["a;b", "c\\d", ""], ["\\;\\"], [";"]):
        assert export.split_values(export.join_values(values)) == values


# Coverage ------------------------------------------------------------------------------------


def test_coverage_counts_an_agent_covered_by_its_blueprint(ada: Client, graph_as: GraphAs) -> None:
    response = ada.get(
        "/coverage/", {"required": "AgentAttributes_AgentApprovalStatus", "tab": "agentIdentities"}
    )
    page = Html(response)
    agents = {a["id"]: a for a in graph_as("GET", "/servicePrincipals/microsoft.graph.agentIdentity",
              params={"$select": "id,agentIdentityBlueprintId,customSecurityAttributes"}).json()["value"]}  # fmt: skip
    blueprints = {b["appId"]: b for b in graph_as("GET", "/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal",
                  params={"$select": "appId,customSecurityAttributes"}).json()["value"]}  # fmt: skip

    def holds(item: dict[str, Any] | None) -> bool:
        return bool(
            ((item or {}).get("customSecurityAttributes") or {})
            .get("AgentAttributes", {})
            .get("AgentApprovalStatus")
        )

    lacking = {
        i
        for i, a in agents.items()
        if not holds(a) and not holds(blueprints.get(a["agentIdentityBlueprintId"]))
    }
    assert {g.get("data-id") for g in page.by_test_id("gap")} == lacking
    assert page.by_test_id("lacking")[0].text() == str(len(lacking))
    assert page.by_test_id("total")[0].text() == str(len(agents))
    # Some agent untagged itself is covered through its blueprint.
    assert any(
        not holds(a) and holds(blueprints.get(a["agentIdentityBlueprintId"]))
        for a in agents.values()
    )
    assert "Graph call" in page.by_test_id("coverage-summary")[0].text()
    gaps = _csv(
        ada.get(
            "/coverage/gaps.csv",
            {"required": "AgentAttributes_AgentApprovalStatus", "tab": "agentIdentities"},
        )
    )
    assert {row["objectId"] for row in gaps} == lacking
    assert all(row["AgentAttributes/AgentApprovalStatus"] == "" for row in gaps)


def test_coverage_counts_per_kind(ada: Client, graph_as: GraphAs) -> None:
    page = Html(ada.get("/coverage/", {"required": "Engineering_Project", "tab": "all"}))
    kinds = {
        row.get("data-kind"): int(row.one('[data-testid="kind-lacking"]').text())
        for row in page.by_test_id("kind-count")
    }
    users = _everyone(graph_as)
    assert sum(kinds[k] for k in ("member", "guest", "agentUser") if k in kinds) == sum(
        1 for values in users.values() if "Engineering/Project" not in values
    )


def test_the_lead_chooses_only_engineering_for_coverage(lee: Client) -> None:
    choices = {i.get("value") for i in Html(lee.get("/coverage/")).css("input[name=required]")}
    assert choices
    assert all(c.startswith("Engineering_") for c in choices)


# The agent board -----------------------------------------------------------------------------


def test_the_board_groups_agents_by_blueprint_with_their_status(
    ada: Client, graph_as: GraphAs
) -> None:
    page = Html(ada.get("/agents/"))
    groups = page.by_test_id("blueprint-group")
    assert len(groups) >= 3
    shown = {a.get("data-id"): [b.text() for b in a.one('[data-testid="statuses"]').css(".badge")]
             for a in page.by_test_id("agent")}  # fmt: skip
    agents = graph_as("GET", "/servicePrincipals/microsoft.graph.agentIdentity",
                      params={"$select": "id,customSecurityAttributes"}).json()["value"]  # fmt: skip
    assert set(shown) == {a["id"] for a in agents}
    for agent in agents:
        held = ((agent.get("customSecurityAttributes") or {}).get("AgentAttributes") or {}).get(
            "AgentApprovalStatus"
        ) or []
        assert shown[agent["id"]] == (held or ["No status"])


def test_the_board_filters_by_status_and_blueprint(ada: Client) -> None:
    in_review = Html(ada.get("/agents/", {"status": "In_Review"})).by_test_id("agent")
    assert in_review
    assert all("In_Review" in a.one('[data-testid="statuses"]').text() for a in in_review)
    untagged = Html(ada.get("/agents/", {"status": "none"})).by_test_id("agent")
    assert untagged
    assert all("No status" in a.one('[data-testid="statuses"]').text() for a in untagged)
    hr = "8909bf92-1222-5662-bc85-96c16c739f92"
    page = Html(ada.get("/agents/", {"blueprint": hr}))
    assert [g.get("data-blueprint") for g in page.by_test_id("blueprint-group")] == [hr]


def test_a_status_move_needs_a_reason_and_is_audited(ada: Client, graph_as: GraphAs) -> None:
    page = Html(ada.get("/agents/", {"status": "In_Review"}))
    agent = page.by_test_id("agent")[0]
    form = agent.one("form")
    data = {i.get("name"): i.get("value") for i in form.css("input[name]")}
    data.update(from_status="In_Review", to_status="HR_Approved")
    refused = ada.post(form.get("action"), {**data, "reason": ""})
    # The board again, the refusal in the agent's own row and the choices kept.
    assert refused.status_code == 400
    row = next(
        r for r in Html(refused).by_test_id("agent") if r.get("data-id") == agent.get("data-id")
    )
    assert row.by_test_id("move-errors")[0].text() == (
        "Reason: Give the reason for the move: it goes into the audit log."
    )
    assert row.one("[name=to_status] option[selected]").get("value") == "HR_Approved"
    assert not AuditRecord.objects.exists()
    moved = ada.post(form.get("action"), {**data, "reason": "HR signed off, ticket 7"})
    assert moved.status_code == 302
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome, record.reason) == (
        Action.ASSIGNMENT_CHANGED,
        Outcome.SUCCEEDED,
        "HR signed off, ticket 7",
    )
    assert "In_Review" in record.before["value"]
    assert "HR_Approved" in record.after["value"]
    assert "In_Review" not in record.after["value"]
    held = graph_as(
        "GET",
        f"/servicePrincipals/{agent.get('data-id')}",
        params={"$select": "customSecurityAttributes"},
    ).json()
    assert (
        "HR_Approved" in held["customSecurityAttributes"]["AgentAttributes"]["AgentApprovalStatus"]
    )


def test_the_lead_cannot_read_the_agent_status(lee: Client) -> None:
    page = Html(lee.get("/agents/", {"attribute": "AgentAttributes_AgentApprovalStatus"}))
    # Lee's roles cover Engineering only: the board falls back to an Engineering attribute.
    choices = [option.text() for option in page.css("#board-attribute option")]
    assert choices == ["Engineering / Project"]
    assert not any("HR_Approved" in cell.text() for cell in page.by_test_id("statuses"))
    assert all(
        str(field.get("value")).startswith("Engineering_")
        for field in page.css("[name=status_attribute]")
    )


def test_the_readmes_example_is_what_the_demo_tenant_exports(ada: Client) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    shown = list(csv.DictReader(io.StringIO(example)))
    exported = {row["objectId"]: row for row in _csv(ada.get("/export/all.csv"))}
    assert len(shown) == 3
    for row in shown:
        assert {column: exported[row["objectId"]][column] for column in row} == row
