"""The beta CSA audit feed records every change made through the Graph API (§7)."""

from __future__ import annotations

import json

from tests.emulator.conftest import SET_TYPE, GraphCaller, error_of

FEED = "/auditLogs/customSecurityAttributeAudits"
JOE = "joe.contoso@contoso.example"


def feed(caller: GraphCaller, query: str = "") -> dict:
    response = caller.get(f"{FEED}{query}", version="beta")
    assert response.status_code == 200, response.text
    return response.json()


def newest(caller: GraphCaller) -> dict:
    return feed(caller, "?$top=1")["value"][0]


def test_feed_is_beta_only(ada: GraphCaller) -> None:
    response = ada.get(FEED)

    assert response.status_code == 400
    assert (
        error_of(response)["message"]
        == "Resource not found for the segment 'customSecurityAttributeAudits'."
    )


def test_feed_shape(ada: GraphCaller) -> None:
    body = feed(ada)

    assert body["@odata.context"].endswith(
        "/beta/$metadata#auditLogs/customSecurityAttributeAudits"
    )
    record = body["value"][0]
    assert {
        "id", "category", "correlationId", "result", "resultReason", "activityDisplayName",
        "activityDateTime", "loggedByService", "operationType", "userAgent", "initiatedBy",
        "targetResources", "additionalDetails",
    } == set(record)  # fmt: skip
    assert record["category"] == "AttributeManagement"


def test_value_change_is_recorded_with_old_and_new_values(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "NumVendors@odata.type": "#Int32",
                "NumVendors": 25,
            }
        }
    }
    ada.patch(
        f"/users/{JOE}", body, headers={"client-request-id": "corr-42", "User-Agent": "portal-test"}
    )

    record = newest(ada)

    assert record["activityDisplayName"] == "Update attribute values assigned to a user"
    assert record["operationType"] == "Update"
    assert record["correlationId"] == "corr-42"
    assert record["userAgent"] == "portal-test"
    assert record["initiatedBy"]["user"]["userPrincipalName"] == "ada.admin@contoso.example"
    target = record["targetResources"][0]
    assert (target["type"], target["userPrincipalName"]) == ("User", JOE)
    change = target["modifiedProperties"][0]
    assert change == {
        "displayName": "Engineering_NumVendors",
        "oldValue": "[8]",
        "newValue": "[25]",
    }
    assert target["modifiedProperties"][-1]["displayName"] == "Included Updated Properties"


def test_assign_and_unassign_operations(ada: GraphCaller) -> None:
    alain = "alain.dubois@contoso.example"
    add = {
        "customSecurityAttributes": {"Security": {"@odata.type": SET_TYPE, "Clearance": "Internal"}}
    }
    remove = {
        "customSecurityAttributes": {"Security": {"@odata.type": SET_TYPE, "Clearance": None}}
    }

    ada.patch(f"/users/{alain}", add)
    assigned = newest(ada)
    ada.patch(f"/users/{alain}", remove)
    removed = newest(ada)

    assert assigned["operationType"] == "Assign"
    assert assigned["targetResources"][0]["modifiedProperties"][0]["newValue"] == json.dumps(
        ["Internal"]
    )
    assert removed["operationType"] == "Unassign"
    assert removed["targetResources"][0]["modifiedProperties"][0]["newValue"] == "[]"


def test_schema_changes_are_recorded(ada: GraphCaller) -> None:
    ada.post("/directory/attributeSets", {"id": "Legal", "description": "Legal"})
    ada.patch(
        "/directory/customSecurityAttributeDefinitions/Engineering_Project",
        {"status": "Deprecated"},
    )

    records = feed(ada, "?$top=2")["value"]

    assert [r["activityDisplayName"] for r in records] == [
        "Update custom security attribute definition in an attribute set",
        "Add an attribute set",
    ]
    assert records[0]["targetResources"][0]["id"] == "Engineering_Project"
    assert records[0]["targetResources"][0]["modifiedProperties"][0] == {
        "displayName": "status",
        "oldValue": '["Available"]',
        "newValue": '["Deprecated"]',
    }


def test_service_principal_change(ada: GraphCaller) -> None:
    sp = ada.get("/servicePrincipals?$filter=displayName eq 'Slack'").json()["value"][0]
    body = {
        "customSecurityAttributes": {"Security": {"@odata.type": SET_TYPE, "Clearance": "Public"}}
    }
    ada.patch(f"/servicePrincipals/{sp['id']}", body)

    record = newest(ada)

    assert record["activityDisplayName"] == "Update attribute values assigned to a servicePrincipal"
    assert record["targetResources"][0]["type"] == "App"


def test_failed_and_empty_changes_are_not_recorded(ada: GraphCaller) -> None:
    before = feed(ada, "?$top=100")["value"]
    ada.patch(f"/users/{JOE}", {"customSecurityAttributes": {"Engineering": {"Nope": 1}}})
    ada.patch(f"/users/{JOE}", {"customSecurityAttributes": {}})

    assert feed(ada, "?$top=100")["value"] == before


def test_filters(ada: GraphCaller) -> None:
    ada.patch(
        f"/users/{JOE}",
        {"customSecurityAttributes": {"Engineering": {"ProjectDate": "2050-01-01"}}},
    )

    by_activity = feed(ada, "?$filter=startswith(activityDisplayName,'Update attribute values')")[
        "value"
    ]
    by_date = feed(
        ada,
        "?$filter=activityDateTime ge 2026-01-06T00:00:00Z and activityDateTime le 2026-01-06T23:59:59Z",
    )
    by_actor = feed(
        ada, "?$filter=initiatedBy/user/userPrincipalName eq 'ada.admin@contoso.example'"
    )
    by_target = feed(
        ada, "?$filter=targetResources/any(t:t/userPrincipalName eq 'joe.contoso@contoso.example')"
    )

    assert len(by_activity) == 1
    assert {r["targetResources"][0]["id"] for r in by_date["value"]} == {
        "Marketing", "Marketing_AppCountry", "Marketing_EmployeeId", "Marketing_Campaign",
    }  # fmt: skip
    assert len(by_actor["value"]) == 26  # the schema's history: 6 sets, 20 definitions
    assert [r["targetResources"][0]["displayName"] for r in by_target["value"]] == ["Joe Contoso"]


def test_unsupported_filter_and_page_size(ada: GraphCaller) -> None:
    assert ada.get(f"{FEED}?$filter=userAgent eq 'x'", version="beta").status_code == 400
    assert ada.get(f"{FEED}?$top=101", version="beta").status_code == 400


def test_paging_and_order(ada: GraphCaller) -> None:
    first = feed(ada, "?$top=5&$orderby=activityDateTime asc")
    second = ada.get(first["@odata.nextLink"].split("/beta", 1)[1], version="beta").json()

    dates = [r["activityDateTime"] for r in first["value"] + second["value"]]
    assert dates == sorted(dates)
    assert len(dates) == 10


def test_get_one_record(ada: GraphCaller) -> None:
    record = newest(ada)

    body = ada.get(f"{FEED}/{record['id']}", version="beta").json()

    assert body["id"] == record["id"]
    assert ada.get(f"{FEED}/nope", version="beta").status_code == 404
