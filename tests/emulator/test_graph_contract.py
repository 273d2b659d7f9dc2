"""Replays the request and response examples of the Graph documentation (graph-api.md §2.2).

Each test sends the documented request and checks the documented status, shape and
values. Where a document shows an id the service generated, only its form is checked.
"""

from __future__ import annotations

import re

import pytest

from tests.emulator.conftest import ADVANCED, DEMO_USERS, SET_TYPE, GraphCaller, error_of

BASE_CONTEXT = re.compile(r"^https://localhost:\d+/graph/v1\.0/\$metadata#")
DEFINITION_KEYS = {
    "attributeSet",
    "description",
    "id",
    "isCollection",
    "isSearchable",
    "name",
    "status",
    "type",
    "usePreDefinedValuesOnly",
}
JOE = "joe.contoso@contoso.example"


def context_of(body: dict) -> str:
    context = body["@odata.context"]
    assert BASE_CONTEXT.match(context), context
    return context.split("#", 1)[1]


# -- attribute sets (directory-list-attributesets.md, attributeset-get.md, directory-post-…) ---


def test_list_attribute_sets(ada: GraphCaller) -> None:
    response = ada.get("/directory/attributeSets")

    assert response.status_code == 200
    body = response.json()
    assert context_of(body) == "directory/attributeSets"
    engineering = next(s for s in body["value"] if s["id"] == "Engineering")
    assert engineering == {
        "description": "Attributes for engineering team",
        "id": "Engineering",
        "maxAttributesPerSet": 25,
    }


def test_list_attribute_sets_with_top_gives_a_next_link(ada: GraphCaller) -> None:
    first = ada.get("/directory/attributeSets?$top=2").json()

    assert len(first["value"]) == 2
    assert re.search(
        r"/directory/attributeSets\?\$top=2&\$skiptoken=\S+$", first["@odata.nextLink"]
    )
    rest = ada.get(first["@odata.nextLink"].split("/v1.0", 1)[1]).json()
    ids = [s["id"] for s in first["value"] + rest["value"]]
    assert ids == ["Engineering", "Marketing", "Security", "Finance"]


def test_list_attribute_sets_ordered_by_id(ada: GraphCaller) -> None:
    body = ada.get("/directory/attributeSets?$orderby=id").json()

    assert [s["id"] for s in body["value"]] == [
        "AgentAttributes", "Engineering", "Finance", "Marketing", "ResourceAttributes", "Security",
    ]  # fmt: skip


def test_get_attribute_set(ada: GraphCaller) -> None:
    body = ada.get("/directory/attributeSets/Engineering").json()

    assert context_of(body) == "directory/attributeSets/$entity"
    assert body["id"] == "Engineering"
    assert body["maxAttributesPerSet"] == 25


def test_create_attribute_set(ada: GraphCaller) -> None:
    response = ada.post(
        "/directory/attributeSets",
        {
            "id": "Operations",
            "description": "Attributes for operations team",
            "maxAttributesPerSet": 25,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert context_of(body) == "directory/attributeSets/$entity"
    assert body == {
        "@odata.context": body["@odata.context"],
        "description": "Attributes for operations team",
        "id": "Operations",
        "maxAttributesPerSet": 25,
    }
    assert ada.get("/directory/attributeSets/Operations").status_code == 200


def test_update_attribute_set(ada: GraphCaller) -> None:
    response = ada.patch(
        "/directory/attributeSets/Engineering",
        {"description": "Attributes for cloud engineering team", "maxAttributesPerSet": 20},
    )

    assert response.status_code == 204
    assert response.content == b""
    body = ada.get("/directory/attributeSets/Engineering").json()
    assert body["description"] == "Attributes for cloud engineering team"
    assert body["maxAttributesPerSet"] == 20


# -- definitions -------------------------------------------------------------------------


def test_list_definitions(ada: GraphCaller) -> None:
    body = ada.get("/directory/customSecurityAttributeDefinitions").json()

    assert context_of(body) == "directory/customSecurityAttributeDefinitions"
    assert all(set(item) == DEFINITION_KEYS for item in body["value"])
    project = next(d for d in body["value"] if d["id"] == "Engineering_Project")
    assert project["isCollection"] is True
    assert project["usePreDefinedValuesOnly"] is True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name eq 'Project' and status eq 'Available'", {"Engineering_Project"}),
        (
            "attributeSet eq 'Engineering' and status eq 'Available' and type eq 'String'",
            {"Engineering_Project", "Engineering_ProjectDate", "Engineering_Datacenter"},
        ),
    ],
)
def test_list_definitions_with_documented_filters(
    ada: GraphCaller, query: str, expected: set[str]
) -> None:
    body = ada.get(f"/directory/customSecurityAttributeDefinitions?$filter={query}").json()

    assert {d["id"] for d in body["value"]} == expected


def test_list_definitions_with_expanded_allowed_values(ada: GraphCaller) -> None:
    body = ada.get("/directory/customSecurityAttributeDefinitions?$expand=allowedValues").json()

    project = next(d for d in body["value"] if d["id"] == "Engineering_Project")
    assert {"id": "Baker", "isActive": True} in project["allowedValues"]
    assert {"id": "Denali", "isActive": False} in project["allowedValues"]
    date = next(d for d in body["value"] if d["id"] == "Engineering_ProjectDate")
    assert date["allowedValues"] == []


def test_get_definition(ada: GraphCaller) -> None:
    body = ada.get("/directory/customSecurityAttributeDefinitions/Engineering_ProjectDate").json()

    assert context_of(body) == "directory/customSecurityAttributeDefinitions/$entity"
    assert body["id"] == "Engineering_ProjectDate"
    assert body["description"] == "Target completion date"
    assert set(body) - {"@odata.context"} == DEFINITION_KEYS


def test_create_definition_single_string(ada: GraphCaller) -> None:
    response = ada.post(
        "/directory/customSecurityAttributeDefinitions",
        {
            "attributeSet": "Engineering",
            "description": "Target completion date (UTC)",
            "isCollection": False,
            "isSearchable": True,
            "name": "ProjectDeadline",
            "status": "Available",
            "type": "String",
            "usePreDefinedValuesOnly": False,
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert context_of(body) == "directory/customSecurityAttributeDefinitions/$entity"
    assert body["id"] == "Engineering_ProjectDeadline"
    assert body["status"] == "Available"


def test_create_definition_with_predefined_values(ada: GraphCaller) -> None:
    response = ada.post(
        "/directory/customSecurityAttributeDefinitions",
        {
            "attributeSet": "Marketing",
            "description": "Active projects for user",
            "isCollection": True,
            "isSearchable": True,
            "name": "Project",
            "status": "Available",
            "type": "String",
            "usePreDefinedValuesOnly": True,
            "allowedValues": [
                {"id": "Alpine", "isActive": True},
                {"id": "Baker", "isActive": True},
                {"id": "Cascade", "isActive": True},
            ],
        },
    )

    assert response.status_code == 201
    assert "allowedValues" not in response.json()  # not echoed, as documented
    values = ada.get(
        "/directory/customSecurityAttributeDefinitions/Marketing_Project/allowedValues"
    ).json()
    assert [v["id"] for v in values["value"]] == ["Alpine", "Baker", "Cascade"]


def test_deactivate_and_reactivate_definition(ada: GraphCaller) -> None:
    path = "/directory/customSecurityAttributeDefinitions/Engineering_ProjectDate"

    assert ada.patch(path, {"status": "Deprecated"}).status_code == 204
    assert ada.get(path).json()["status"] == "Deprecated"
    assert ada.patch(path, {"status": "Available"}).status_code == 204
    assert ada.get(path).json()["status"] == "Available"


# -- allowed values ----------------------------------------------------------------------


def test_list_allowed_values(ada: GraphCaller) -> None:
    body = ada.get(
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues"
    ).json()

    assert context_of(body) == (
        "directory/customSecurityAttributeDefinitions('Engineering_Project')/allowedValues"
    )
    assert {"id": "Cascade", "isActive": True} in body["value"]


def test_get_allowed_value(ada: GraphCaller) -> None:
    path = "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues/Alpine"
    body = ada.get(path).json()

    assert context_of(body) == (
        "directory/customSecurityAttributeDefinitions('Engineering_Project')/allowedValues/$entity"
    )
    assert body["id"] == "Alpine"
    assert body["isActive"] is True


def test_odata_key_syntax_reaches_the_same_resource(ada: GraphCaller) -> None:
    path = "/directory/customSecurityAttributeDefinitions('Engineering_Project')/allowedValues('Alpine')"

    assert ada.get(path).json()["id"] == "Alpine"


def test_create_allowed_value(ada: GraphCaller) -> None:
    response = ada.post(
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues",
        {"id": "Alpine2", "isActive": "true"},  # the documented example sends a string
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] == "Alpine2"
    assert body["isActive"] is True


def test_deactivate_allowed_value(ada: GraphCaller) -> None:
    path = "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues/Alpine"

    assert ada.patch(path, {"isActive": "false"}).status_code == 204
    assert ada.get(path).json()["isActive"] is False


def test_update_allowed_values_with_delta(ada: GraphCaller) -> None:
    response = ada.patch(
        "/directory/customSecurityAttributeDefinitions/Engineering_Project",
        {
            "allowedValues@delta": [
                {"id": "Baker", "isActive": False},
                {"id": "Skagit", "isActive": True},
            ]
        },
        headers={"OData-Version": "4.01"},
    )

    assert response.status_code == 204
    values = ada.get(
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues"
    ).json()
    assert {"id": "Baker", "isActive": False} in values["value"]
    assert {"id": "Skagit", "isActive": True} in values["value"]


# -- values on users and service principals (custom-security-attributes-examples.md) ---


def test_read_user_values_as_documented(ada: GraphCaller) -> None:
    body = ada.get(f"/users/{JOE}?$select=customSecurityAttributes").json()

    assert context_of(body) == "users(customSecurityAttributes)/$entity"
    assert set(body) == {"@odata.context", "customSecurityAttributes"}
    assert body["customSecurityAttributes"] == {
        "Engineering": {
            "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
            "Project@odata.type": "#Collection(String)",
            "Project": ["Baker", "Cascade"],
            "ProjectDate": "2022-10-01",
            "NumVendors": 8,
            "CostCenter@odata.type": "#Collection(Int32)",
            "CostCenter": [1001],
            "Certification": True,
        },
        "Marketing": {
            "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
            "EmployeeId": "QN26904",
        },
    }


def test_read_user_without_values_gives_null(ada: GraphCaller) -> None:
    body = ada.get("/users/alain.dubois@contoso.example?$select=customSecurityAttributes").json()

    assert body == {
        "@odata.context": body["@odata.context"],
        "customSecurityAttributes": None,
    }


def test_values_are_returned_only_when_selected(ada: GraphCaller) -> None:
    body = ada.get(f"/users/{JOE}").json()

    assert "customSecurityAttributes" not in body
    assert body["userPrincipalName"] == JOE


def test_filter_users_equals_value(ada: GraphCaller) -> None:
    response = ada.get(
        "/users?$count=true&$select=id,displayName,customSecurityAttributes"
        "&$filter=customSecurityAttributes/Marketing/AppCountry eq 'Canada'",
        headers=ADVANCED,
    )

    assert response.status_code == 200
    body = response.json()
    assert context_of(body) == "users(id,displayName,customSecurityAttributes)"
    assert body["@odata.count"] == 2
    assert [u["displayName"] for u in body["value"]] == ["Jiya Sharma", "Jana Horvat"]
    assert body["value"][1]["customSecurityAttributes"] == {
        "Marketing": {
            "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
            "AppCountry@odata.type": "#Collection(String)",
            "AppCountry": ["Canada", "Mexico"],
            "EmployeeId": "GS46982",
        }
    }


def test_filter_users_starts_with_value(ada: GraphCaller) -> None:
    body = ada.get(
        "/users?$count=true&$select=id,displayName,customSecurityAttributes"
        "&$filter=startsWith(customSecurityAttributes/Marketing/EmployeeId,'GS')",
        headers=ADVANCED,
    ).json()

    assert body["@odata.count"] == 1
    assert body["value"][0]["displayName"] == "Jana Horvat"


def test_filter_users_not_equal_includes_users_without_the_attribute(ada: GraphCaller) -> None:
    body = ada.get(
        "/users?$count=true&$top=999&$select=id,displayName,customSecurityAttributes"
        "&$filter=customSecurityAttributes/Marketing/AppCountry ne 'Canada'",
        headers=ADVANCED,
    ).json()

    names = {u["displayName"] for u in body["value"]}
    assert body["@odata.count"] == DEMO_USERS - 2  # everyone but Jiya and Jana
    assert {"Isabella Moreau", "Alain Dubois", "Chandra Kumar"} <= names
    assert not names & {"Jiya Sharma", "Jana Horvat"}
    assert any(u["customSecurityAttributes"] is None for u in body["value"])


def test_assign_string_to_user(ada: GraphCaller) -> None:
    response = ada.patch(
        "/users/alain.dubois@contoso.example",
        {
            "customSecurityAttributes": {
                "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2022-10-01"}
            }
        },
    )

    assert response.status_code == 204
    assert response.content == b""
    assert (
        ada.user_csa("alain.dubois@contoso.example")["Engineering"]["ProjectDate"] == "2022-10-01"
    )


def test_assign_string_to_service_principal(ada: GraphCaller) -> None:
    sp = ada.get("/servicePrincipals?$filter=displayName eq 'Payroll Sync'").json()["value"][0]
    response = ada.patch(
        f"/servicePrincipals/{sp['id']}",
        {
            "customSecurityAttributes": {
                "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2022-10-01"}
            }
        },
    )

    assert response.status_code == 204
    body = ada.get(f"/servicePrincipals/{sp['id']}?$select=customSecurityAttributes").json()
    assert context_of(body) == "servicePrincipals(customSecurityAttributes)/$entity"
    assert body["customSecurityAttributes"]["Engineering"]["ProjectDate"] == "2022-10-01"


def test_assign_multi_string_to_user(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "Project@odata.type": "#Collection(String)",
                "Project": ["Baker", "Cascade"],
            }
        }
    }

    assert ada.patch("/users/alain.dubois@contoso.example", body).status_code == 204
    values = ada.user_csa("alain.dubois@contoso.example")["Engineering"]
    assert values["Project"] == ["Baker", "Cascade"]
    assert values["Project@odata.type"] == "#Collection(String)"


def test_assign_integer_to_user_reads_back_without_annotation(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "NumVendors@odata.type": "#Int32",
                "NumVendors": 4,
            }
        }
    }

    assert ada.patch("/users/alain.dubois@contoso.example", body).status_code == 204
    values = ada.user_csa("alain.dubois@contoso.example")["Engineering"]
    assert values["NumVendors"] == 4
    assert "NumVendors@odata.type" not in values


def test_assign_multi_integer_to_user(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "CostCenter@odata.type": "#Collection(Int32)",
                "CostCenter": [1001, 1003],
            }
        }
    }

    assert ada.patch("/users/alain.dubois@contoso.example", body).status_code == 204
    values = ada.user_csa("alain.dubois@contoso.example")["Engineering"]
    assert values["CostCenter"] == [1001, 1003]
    assert values["CostCenter@odata.type"] == "#Collection(Int32)"


def test_assign_boolean_to_user(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "Certification": True}
        }
    }

    assert ada.patch("/users/alain.dubois@contoso.example", body).status_code == 204
    assert ada.user_csa("alain.dubois@contoso.example")["Engineering"] == {
        "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
        "Certification": True,
    }


def test_remove_single_valued_attribute(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, "ProjectDate": None}}
    }

    assert ada.patch(f"/users/{JOE}", body).status_code == 204
    assert "ProjectDate" not in ada.user_csa(JOE)["Engineering"]


def test_remove_multi_valued_attribute(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {
                "@odata.type": SET_TYPE,
                "Project@odata.type": "#Collection(String)",
                "Project": [],
            }
        }
    }

    assert ada.patch(f"/users/{JOE}", body).status_code == 204
    assert "Project" not in ada.user_csa(JOE)["Engineering"]


# -- errors (errors.md, aad-advanced-queries.md) ---------------------------------------


def test_error_envelope_and_headers(ada: GraphCaller) -> None:
    response = ada.get(
        "/users/00000000-0000-0000-0000-000000000000", headers={"client-request-id": "abc-123"}
    )

    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "Request_ResourceNotFound"
    assert error["message"] == (
        "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried "
        "reference-property objects are not present."
    )
    assert error["innerError"]["client-request-id"] == "abc-123"
    assert response.headers["client-request-id"] == "abc-123"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", error["innerError"]["date"])


def test_count_segment_without_consistency_level(ada: GraphCaller) -> None:
    response = ada.get("/users/$count")

    assert response.status_code == 400
    assert error_of(response) | {"innerError": None} == {
        "code": "Request_BadRequest",
        "message": "$count is not currently supported.",
        "innerError": None,
    }


def test_count_segment_with_consistency_level(ada: GraphCaller) -> None:
    response = ada.get("/users/$count", headers=ADVANCED)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == str(DEMO_USERS)


def test_search_without_consistency_level(ada: GraphCaller) -> None:
    response = ada.get('/users?$search="displayName:Ada"')

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Request with $search query parameter only works through MSGraph with a special request "
        "header: 'ConsistencyLevel: eventual'"
    )


def test_advanced_operator_without_headers(ada: GraphCaller) -> None:
    response = ada.get("/users?$filter=endsWith(mail,'@fabrikam.example')")

    assert response.status_code == 400
    error = error_of(response)
    assert (error["code"], error["message"]) == ("Request_UnsupportedQuery", "Unsupported Query.")


def test_count_true_without_header_is_silently_ignored(ada: GraphCaller) -> None:
    body = ada.get("/users?$count=true&$top=1").json()

    assert "@odata.count" not in body
    assert len(body["value"]) == 1
