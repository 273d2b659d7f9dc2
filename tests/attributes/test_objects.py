"""The assignment workspace: finding objects, their attributes, and assigning values,
against the emulator. Each rule is checked on the portal's side (the message at the
field, nothing written) and the result read back from Graph."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from attributes.directory import AllowedValue, Definition
from attributes.models import Action, AttributeSetPolicy, AuditRecord, Outcome
from attributes.objects import assignment_payload
from emulator.harness import EmulatorProcess
from emulator.tenant import agents, demo
from tests.html import Html

pytestmark = pytest.mark.django_db(transaction=True)

GraphAs = Callable[..., Any]
REY = demo.REY.object_id
AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent
BLUEPRINT = "c11e65e7-346b-5607-b53c-e37fb7c7f597"  # HR Agent Blueprint
AGENT_USER = "a11c9949-e38a-509a-9b3d-5bdc922c3b60"


def _values(graph_as: GraphAs, collection: str, object_id: str) -> Any:
    response = graph_as(
        "GET", f"/{collection}/{object_id}", params={"$select": "customSecurityAttributes"}
    )
    assert response.status_code == 200, response.text
    return response.json()["customSecurityAttributes"]


def _edit_url(graph_type: str, object_id: str, definition_id: str) -> str:
    return f"/objects/{graph_type}/{object_id}/attributes/{definition_id}/"


def _seen(client: Client, url: str) -> str:
    """What the edit form says the person saw: its hidden `seen` field."""
    response = client.get(url)
    assert response.status_code == 200, (
        url,
        response.status_code,
        Html(response).main().text()[:300],
    )
    return Html(response).one("#assign_seen").get("value") or ""


def _save(client: Client, url: str, data: dict[str, Any], *, remove: bool = False) -> Any:
    """Posts the edit page's form (or its Remove form), as the page was just loaded."""
    target = f"{url}remove" if remove else url
    return client.post(target, {"seen": _seen(client, url), **data})


# Finding objects -----------------------------------------------------------------------


def test_one_search_finds_every_kind_in_one_round_trip(ada: Client) -> None:
    ada.get("/")
    response = ada.get("/objects/", {"q": "agent"})
    assert response.status_code == 200
    assert int(response["X-Graph-Round-Trips"]) == 1
    kinds = {row.get("data-kind") for row in Html(response).by_test_id("object-row")}
    assert {"agentUser", "agentIdentity", "agentBlueprint", "managedIdentity"} <= kinds
    counts = {
        tab.get("data-tab"): tab.one('[data-testid="tab-count"]').text()
        for tab in Html(response).css("[data-tab]")
        if tab.css('[data-testid="tab-count"]')
    }
    assert counts["agentIdentities"] == str(len(agents.DEMO_AGENTS))


def test_typing_gets_only_the_results_fragment(ada: Client) -> None:
    response = ada.get(
        "/objects/", {"q": "Ada"}, headers={"HX-Request": "true", "HX-Target": "object-results"}
    )
    fragment = Html(response)
    assert fragment.is_fragment
    assert "object-results" in [root.get("id") for root in fragment.roots()]
    names = [row.one("a").text() for row in fragment.by_test_id("object-row")]
    assert "Ada Admin" in names


def test_an_object_id_or_app_id_finds_that_object(ada: Client) -> None:
    rows = Html(ada.get("/objects/", {"q": AGENT})).by_test_id("object-row")
    assert [(row.get("data-id"), row.one('[data-testid="kind"]').text()) for row in rows] == [
        (AGENT, "Agent identity")
    ]


def test_kind_tabs_narrow_and_page_through_graphs_next_links(ada: Client) -> None:
    first = Html(ada.get("/objects/", {"tab": "users"}))
    rows = first.by_test_id("object-row")
    assert len(rows) == 25
    assert {row.get("data-kind") for row in rows} <= {"member", "guest", "agentUser"}
    next_link = first.by_test_id("next-page")[0].get("href")
    second = Html(ada.get(f"/objects/{next_link}"))
    more = {row.get("data-id") for row in second.by_test_id("object-row")}
    assert more
    assert not more & {row.get("data-id") for row in rows}
    guests = Html(ada.get("/objects/", {"tab": "guests"})).by_test_id("object-row")
    assert guests
    assert {row.get("data-kind") for row in guests} == {"guest"}


def test_a_next_link_to_elsewhere_is_not_followed(ada: Client) -> None:
    page = Html(
        ada.get("/objects/", {"tab": "users", "page": "https://evil.example/v1.0/users?x=1"})
    )
    assert "not one of this list's" in page.text()
    assert page.by_test_id("object-row")


# An object's page ------------------------------------------------------------------------


def test_an_agents_page_shows_its_identity_values_and_gauge_in_two_round_trips(
    ada: Client, graph_as: GraphAs
) -> None:
    ada.get("/")
    response = ada.get(f"/objects/agentIdentity/{AGENT}/")
    assert response.status_code == 200
    assert int(response["X-Graph-Round-Trips"]) <= 2
    page = Html(response)
    assert page.one('h1 [data-testid="kind"]').text() == "Agent identity"
    identity = page.by_test_id("identity")[0].text()
    assert "Gil Global" in identity  # the sponsor
    assert page.by_test_id("blueprint")
    held = _values(graph_as, "servicePrincipals", AGENT)
    (section,) = [
        s for s in page.by_test_id("set-section") if s.get("data-set") == "AgentAttributes"
    ]
    rows = {
        row.get("data-attribute"): [item.text() for item in row.css("ul.values li")]
        for row in section.by_test_id("attribute-row")
    }
    assert rows == {
        "AgentApprovalStatus": held["AgentAttributes"]["AgentApprovalStatus"],
        "RiskTier": [held["AgentAttributes"]["RiskTier"]],
    }
    assert page.by_test_id("values-used")[0].text() == "3"


def test_the_base_type_redirects_to_the_subtypes_page(ada: Client) -> None:
    response = ada.get(f"/objects/servicePrincipal/{AGENT}/")
    assert response.status_code == 302
    assert response["Location"] == f"/objects/agentIdentity/{AGENT}/"


def test_deactivated_attributes_and_values_still_held_are_shown_and_marked(
    ada: Client, graph_as: GraphAs
) -> None:
    definitions = "/directory/customSecurityAttributeDefinitions"
    graph_as("PATCH", f"{definitions}/Engineering_LegacyTeam", json={"status": "Available"})
    graph_as(
        "PATCH",
        f"{definitions}/Engineering_Project/allowedValues/Denali",
        json={"isActive": True},
    )
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
                "LegacyTeam": "Platform",
                "Project@odata.type": "#Collection(String)",
                "Project": ["Denali", "Alpine"],
            }
        }
    }
    assert graph_as("PATCH", f"/users/{REY}", json=body).status_code == 204
    graph_as("PATCH", f"{definitions}/Engineering_LegacyTeam", json={"status": "Deprecated"})
    graph_as(
        "PATCH",
        f"{definitions}/Engineering_Project/allowedValues/Denali",
        json={"isActive": False},
    )
    page = Html(ada.get(f"/objects/user/{REY}/"))
    rows = {row.get("data-attribute"): row for row in page.by_test_id("attribute-row")}
    assert rows["LegacyTeam"].by_test_id("definition-deactivated")
    marked = [li.text() for li in rows["Project"].css("li") if li.by_test_id("value-deactivated")]
    assert marked == ["Denali deactivated value"]


def test_the_lead_sees_only_engineering(lee: Client) -> None:
    page = Html(lee.get(f"/objects/agentIdentity/{AGENT}/"))
    assert [s.get("data-set") for s in page.by_test_id("set-section")] == ["Engineering"]
    assert "Engineering" in page.by_test_id("scope-note")[0].text()
    options = [o.get("value") for o in page.css("#assign-attribute option") if o.get("value")]
    assert options
    assert all(value.startswith("Engineering_") for value in options)


def test_a_definition_reader_is_told_each_set_cannot_be_read(rey: Client) -> None:
    page = Html(rey.get(f"/objects/agentIdentity/{AGENT}/"))
    sections = page.by_test_id("set-section")
    assert sections
    assert all(s.by_test_id("cannot-read") for s in sections)
    assert "You can't read this set's values" in sections[0].text()
    assert not page.css("#assign-attribute")


def test_the_auditor_reads_values_without_edit_controls(
    signed_in: Callable[[str], Client],
) -> None:
    ava = signed_in("ava.auditor@contoso.example")
    page = Html(ava.get(f"/objects/agentIdentity/{AGENT}/"))
    assert page.by_test_id("attribute-row")
    assert not page.main().css("form[method=post]")
    assert "Attribute Assignment Administrator" in page.by_test_id("why-not-assign")[0].text()
    edit = ava.get(_edit_url("agentIdentity", AGENT, "AgentAttributes_RiskTier"))
    assert edit.status_code == 403


def test_the_global_admin_is_told_what_is_missing(gil: Client) -> None:
    response = gil.get(f"/objects/agentIdentity/{AGENT}/")
    assert response.status_code == 403
    assert "Global Administrator does not include these roles" in Html(response).text()


# Assigning, changing and removing every type and shape -------------------------------------

SHAPES = {
    # definition id: (first value as posted, as Graph holds it; second; third)
    "Engineering_ProjectDate": (
        {"value": "2026-10-01"},
        "2026-10-01",
        {"value": "2027-01-31"},
        "2027-01-31",
    ),
    "Security_Clearance": (
        {"value": "Internal"},
        "Internal",
        {"value": "Confidential"},
        "Confidential",
    ),
    "Engineering_NumVendors": ({"value": "4"}, 4, {"value": "-7"}, -7),
    "Engineering_Certification": ({"value": "on"}, True, {}, False),
    "Engineering_Project": (
        {"value": ["Alpine", "Baker"]},
        ["Alpine", "Baker"],
        {"value": ["Cascade"]},
        ["Cascade"],
    ),
    "Engineering_Datacenter": (
        {"value": "dub-1\nams-2"},
        ["dub-1", "ams-2"],
        {"value": "sin-3"},
        ["sin-3"],
    ),
    "Engineering_CostCenter": (
        {"value": ["1001", "1003"]},
        [1001, 1003],
        {"value": ["1002"]},
        [1002],
    ),
}


@pytest.mark.parametrize("empty_values", ["null", "{}"])
@pytest.mark.parametrize("definition_id", list(SHAPES))
def test_each_shape_is_set_changed_and_removed(
    ada: Client, graph_as: GraphAs, emu: EmulatorProcess, definition_id: str, empty_values: str
) -> None:
    emu.configure(empty_values=empty_values)
    set_name, name = definition_id.split("_")
    first, first_held, second, second_held = SHAPES[definition_id]
    url = _edit_url("user", REY, definition_id)
    assert _save(ada, url, {**first, "reason": "r1"}).status_code == 302
    assert _values(graph_as, "users", REY)[set_name][name] == first_held
    response = _save(ada, url, {**second, "reason": "r2"})
    assert response.status_code == 302
    assert int(response["X-Graph-Round-Trips"]) <= 3
    assert _values(graph_as, "users", REY)[set_name][name] == second_held
    assert _save(ada, url, {"reason": "r3"}, remove=True).status_code == 302
    after = _values(graph_as, "users", REY)
    # Removal reads back as null, or as {} (graph-api.md §11.3); the page says "no values".
    assert name not in ((after or {}).get(set_name) or {})
    page = Html(ada.get(f"/objects/user/{REY}/"))
    assert name not in [r.get("data-attribute") for r in page.by_test_id("attribute-row")]
    records = list(AuditRecord.objects.order_by("seq"))
    assert [(r.action, r.outcome, r.reason) for r in records] == [
        (Action.ASSIGNMENT_SET, Outcome.SUCCEEDED, "r1"),
        (Action.ASSIGNMENT_CHANGED, Outcome.SUCCEEDED, "r2"),
        (Action.ASSIGNMENT_REMOVED, Outcome.SUCCEEDED, "r3"),
    ]
    assert records[1].before == {"value": first_held}
    assert records[1].after == {"value": second_held}
    assert records[2].after == {"value": None}
    assert all(r.graph_request_id for r in records)


def _definition(type_: str, *, collection: bool = False) -> Definition:
    return Definition(
        id="Engineering_X",
        attribute_set="Engineering",
        name="X",
        type=type_,
        is_collection=collection,
        is_searchable=True,
        allowed_values=(AllowedValue("A"),),
    )


SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"


@pytest.mark.parametrize(
    ("definition", "value", "expected"),
    [
        (_definition("String"), "v", {"@odata.type": SET_TYPE, "X": "v"}),
        (_definition("String"), None, {"@odata.type": SET_TYPE, "X": None}),
        (
            _definition("String", collection=True),
            ["a", "b"],
            {"@odata.type": SET_TYPE, "X@odata.type": "#Collection(String)", "X": ["a", "b"]},
        ),
        (
            _definition("String", collection=True),
            None,
            {"@odata.type": SET_TYPE, "X@odata.type": "#Collection(String)", "X": []},
        ),
        (_definition("Integer"), 4, {"@odata.type": SET_TYPE, "X@odata.type": "#Int32", "X": 4}),
        (_definition("Integer"), None, {"@odata.type": SET_TYPE, "X": None}),
        (
            _definition("Integer", collection=True),
            [1, 2],
            {"@odata.type": SET_TYPE, "X@odata.type": "#Collection(Int32)", "X": [1, 2]},
        ),
        (_definition("Boolean"), False, {"@odata.type": SET_TYPE, "X": False}),
    ],
    ids=[
        "string",
        "string-removed",
        "strings",
        "strings-removed",
        "int",
        "int-removed",
        "ints",
        "bool",
    ],
)
def test_the_patch_body_is_exactly_what_graph_requires(
    definition: Definition, value: Any, expected: dict[str, Any]
) -> None:
    assert assignment_payload(definition, value) == {
        "customSecurityAttributes": {"Engineering": expected}
    }


# Bad values ------------------------------------------------------------------------------

BAD = [
    ("Engineering_ProjectDate", {"value": "x" * 65}, "65 characters long; the limit is 64"),
    ("Engineering_ProjectDate", {"value": "two\tparts"}, "control character"),
    ("Engineering_NumVendors", {"value": "twelve"}, "is not a whole number"),
    ("Engineering_NumVendors", {"value": "2147483648"}, "outside the 32-bit integer range"),
    ("Security_Clearance", {"value": "TopSecret"}, "Select a valid choice"),
    ("Security_Clearance", {"value": "Restricted"}, "Select a valid choice"),
    ("Engineering_Project", {"value": ["Denali"]}, "Select a valid choice"),
    ("Engineering_Datacenter", {"value": "dub-1\ndub-1"}, "Listed more than once: dub-1"),
]


@pytest.mark.parametrize(("definition_id", "data", "message"), BAD)
def test_bad_values_are_refused_at_the_field_and_nothing_is_written(
    ada: Client, emu: EmulatorProcess, definition_id: str, data: dict[str, Any], message: str
) -> None:
    url = _edit_url("user", REY, definition_id)
    before = len(emu.writes())
    response = _save(ada, url, data)
    assert response.status_code == 200
    errors = Html(response).field_errors("value", form="assign")
    assert any(message in error for error in errors), errors
    assert len(emu.writes()) == before
    assert not AuditRecord.objects.exists()


def test_a_deactivated_attribute_takes_no_new_values(ada: Client, graph_as: GraphAs) -> None:
    url = _edit_url("user", REY, "Engineering_LegacyTeam")
    page = Html(ada.get(url))
    assert page.by_test_id("definition-deactivated")
    response = _save(ada, url, {"value": "Platform"})
    errors = Html(response).field_errors("value", form="assign")
    assert any("is deactivated: it cannot be given new values" in e for e in errors), errors
    assert not AuditRecord.objects.exists()


def test_the_50_values_limit_is_checked_before_graph(ada: Client, graph_as: GraphAs) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "Datacenter@odata.type": "#Collection(String)",
                "Datacenter": [f"dc-{i}" for i in range(49)],
            }
        }
    }
    assert graph_as("PATCH", f"/users/{REY}", json=body).status_code == 204
    response = _save(
        ada, _edit_url("user", REY, "Engineering_Project"), {"value": ["Alpine", "Baker"]}
    )
    errors = Html(response).field_errors("value", form="assign")
    assert any("That makes 51 values" in e and "at most 50" in e for e in errors), errors
    assert not AuditRecord.objects.exists()


def test_a_set_that_requires_a_reason_refuses_an_assignment_without_one(ada: Client) -> None:
    page = Html(ada.get("/sets/Engineering/"))
    assert page.by_label("Require a reason for every assignment in this set")
    assert (
        ada.post("/sets/Engineering/policy", {"require_reason": "on", "reason": "SOX"}).status_code
        == 302
    )
    assert AttributeSetPolicy.requires_reason("engineering")
    policy_record = AuditRecord.objects.get()
    assert (policy_record.action, policy_record.after) == (
        Action.SET_POLICY_CHANGED,
        {"requireReason": True},
    )
    url = _edit_url("user", REY, "Engineering_ProjectDate")
    refused = _save(ada, url, {"value": "2026-10-01"})
    errors = Html(refused).field_errors("reason", form="assign")
    assert any("requires one for every assignment" in e for e in errors), errors
    assert _save(ada, url, {"value": "2026-10-01", "reason": "CHG-9"}).status_code == 302


def test_only_a_known_definition_administrator_sets_the_policy(lee: Client) -> None:
    assert lee.post("/sets/Engineering/policy", {"require_reason": "on"}).status_code == 403
    assert not AttributeSetPolicy.objects.exists()


# No lost updates -------------------------------------------------------------------------


def test_a_change_made_meanwhile_is_shown_beside_mine_and_never_overwritten(
    ada: Client, graph_as: GraphAs
) -> None:
    url = _edit_url("user", REY, "Engineering_ProjectDate")
    seen = _seen(ada, url)
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "theirs"}
        }
    }
    assert graph_as("PATCH", f"/users/{REY}", json=body).status_code == 204
    response = ada.post(url, {"seen": seen, "value": "mine", "reason": "r"})
    assert response.status_code == 409
    page = Html(response)
    assert page.by_test_id("theirs")[0].text().startswith("Now in Entra theirs")
    assert "mine" in page.by_test_id("mine")[0].text()
    assert _values(graph_as, "users", REY)["Engineering"]["ProjectDate"] == "theirs"
    assert not AuditRecord.objects.exists()
    # Choosing mine posts it again, checked against what Entra holds now.
    form = page.by_test_id("mine")[0].one("form")
    data = {i.get("name"): i.get("value") for i in form.css("input[name]")}
    assert json.loads(data["seen"]) == "theirs"
    assert ada.post(form.get("action"), data).status_code == 302
    assert _values(graph_as, "users", REY)["Engineering"]["ProjectDate"] == "mine"


# Who may do what -------------------------------------------------------------------------


def test_the_lead_assigns_engineering_but_not_marketing(lee: Client, graph_as: GraphAs) -> None:
    ok = _save(lee, _edit_url("user", REY, "Engineering_ProjectDate"), {"value": "2026-12-24"})
    assert ok.status_code == 302
    refused = lee.get(_edit_url("user", REY, "Marketing_EmployeeId"))
    assert refused.status_code == 403
    assert (
        "Attribute Assignment Administrator role for the attribute set Marketing"
        in Html(refused).text()
    )
    posted = lee.post(_edit_url("user", REY, "Marketing_EmployeeId"), {"value": "X1"})
    assert posted.status_code == 403
    assert "Marketing" not in (_values(graph_as, "users", REY) or {})


@pytest.mark.parametrize("upn", ["rey.reader@contoso.example", "ava.auditor@contoso.example"])
def test_readers_cannot_assign(
    signed_in: Callable[[str], Client], upn: str, emu: EmulatorProcess
) -> None:
    client = signed_in(upn)
    before = len(emu.writes())
    url = _edit_url("user", REY, "Engineering_ProjectDate")
    assert client.post(url, {"value": "x", "seen": "null"}).status_code == 403
    assert client.post(f"{url}remove", {"seen": "null"}).status_code == 403
    assert len(emu.writes()) == before


# Every kind --------------------------------------------------------------------------------

KINDS = [
    ("agentIdentity", "servicePrincipals", AGENT),
    ("agentIdentityBlueprintPrincipal", "servicePrincipals", BLUEPRINT),
    ("agentUser", "users", AGENT_USER),
]


@pytest.mark.parametrize(("graph_type", "collection", "object_id"), KINDS)
def test_each_agent_kind_gets_a_value_and_loses_it(
    ada: Client, graph_as: GraphAs, graph_type: str, collection: str, object_id: str
) -> None:
    url = _edit_url(graph_type, object_id, "Engineering_Project")
    assert _save(ada, url, {"value": ["Alpine"]}).status_code == 302
    assert _values(graph_as, collection, object_id)["Engineering"]["Project"] == ["Alpine"]
    assert _save(ada, url, {}, remove=True).status_code == 302
    assert "Engineering" not in (_values(graph_as, collection, object_id) or {})


@pytest.mark.parametrize("tab", ["managedIdentities", "guests"])
def test_a_managed_identity_and_a_guest_get_a_value_and_lose_it(
    ada: Client, graph_as: GraphAs, tab: str
) -> None:
    row = Html(ada.get("/objects/", {"tab": tab})).by_test_id("object-row")[0]
    page_url = row.one("a").get("href") or ""
    _, _, graph_type, object_id, _ = page_url.split("/")
    collection = "servicePrincipals" if tab == "managedIdentities" else "users"
    url = _edit_url(graph_type, object_id, "Engineering_ProjectDate")
    assert _save(ada, url, {"value": "2026-11-11"}).status_code == 302
    assert _values(graph_as, collection, object_id)["Engineering"]["ProjectDate"] == "2026-11-11"
    assert _save(ada, url, {}, remove=True).status_code == 302
    assert "ProjectDate" not in (
        (_values(graph_as, collection, object_id) or {}).get("Engineering") or {}
    )


def test_the_picker_leads_to_the_chosen_attributes_form(ada: Client) -> None:
    response = ada.get(f"/objects/user/{REY}/assign", {"attribute": "Engineering_Project"})
    assert response["Location"] == _edit_url("user", REY, "Engineering_Project")
    inline = ada.get(
        f"/objects/user/{REY}/assign",
        {"attribute": "Engineering_Project"},
        headers={"HX-Request": "true", "HX-Target": "assignment-panel"},
    )
    assert Html(inline).by_test_id("assignment-form")
    assert b"<header" not in inline.content  # the form alone, not a page in the panel


def test_a_deactivated_attribute_keeps_its_values_or_loses_them_all(
    ada: Client, graph_as: GraphAs
) -> None:
    definitions = "/directory/customSecurityAttributeDefinitions"
    graph_as("PATCH", f"{definitions}/Engineering_Datacenter", json={"status": "Available"})
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "Datacenter@odata.type": "#Collection(String)",
                "Datacenter": ["dub-1", "ams-2"],
            }
        }
    }
    assert graph_as("PATCH", f"/users/{REY}", json=body).status_code == 204
    graph_as("PATCH", f"{definitions}/Engineering_Datacenter", json={"status": "Deprecated"})
    url = _edit_url("user", REY, "Engineering_Datacenter")
    for changed in ("dub-1\nsin-3", "dub-1"):
        errors = Html(_save(ada, url, {"value": changed})).field_errors("value", form="assign")
        assert any("cannot be given new values or changed" in e for e in errors), errors
    assert not AuditRecord.objects.exists()
    assert _save(ada, url, {}, remove=True).status_code == 302
    held = (_values(graph_as, "users", REY) or {}).get("Engineering") or {}
    assert "Datacenter" not in held


def test_a_save_whose_answer_was_lost_is_read_again_and_shown_as_made(
    ada: Client, graph_as: GraphAs, emu: EmulatorProcess
) -> None:
    url = _edit_url("user", REY, "Engineering_ProjectDate")
    seen = _seen(ada, url)
    since = emu.writes()[-1]["seq"] if emu.writes() else 0
    emu.set_faults(
        rules=[{"method": "PATCH", "path": rf"/users/{REY}$", "status": "drop", "after": True}]
    )
    response = ada.post(url, {"seen": seen, "value": "2027-03-01", "reason": ""}, follow=True)
    page = Html(response)
    assert "reading it again shows the change was made" in page.main().text()
    assert [w["method"] for w in emu.writes(since)] == ["PATCH"]  # sent once, never again
    assert _values(graph_as, "users", REY)["Engineering"]["ProjectDate"] == "2027-03-01"
    assert AuditRecord.objects.get(action=Action.ASSIGNMENT_SET).outcome == Outcome.SUCCEEDED
