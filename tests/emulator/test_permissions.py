"""The permission matrix per demo account (graph-api.md §4): scope AND role AND set scope.

ada: Definition Admin + Assignment Admin + Log Reader (tenant); lee: Assignment Admin on
Engineering; ava: Log Reader + Assignment Reader; rey: Definition Reader; gil: Global
Administrator only, which grants no attribute rights at all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.tenant import demo
from tests.emulator.conftest import ADVANCED, SET_TYPE, GraphCaller, error_of, user_id

JOE = "joe.contoso@contoso.example"
DEFINITIONS = "/directory/customSecurityAttributeDefinitions"
ACCOUNTS = ("ada", "lee", "ava", "rey", "gil")
GraphAs = Callable[..., GraphCaller]


def expect(statuses: dict[str, int]) -> list[tuple[str, int]]:
    return [(name, statuses[name]) for name in ACCOUNTS]


def assert_denied(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.text
    error = error_of(response)
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."


# -- definitions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 200, "lee": 200, "ava": 200, "rey": 200, "gil": 403})
)
def test_read_definitions(graph_as: GraphAs, name: str, status: int) -> None:
    response = graph_as(name).get(DEFINITIONS)

    assert response.status_code == status


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 201, "lee": 403, "ava": 403, "rey": 403, "gil": 403})
)
def test_create_definition(graph_as: GraphAs, name: str, status: int) -> None:
    body = {
        "attributeSet": "Engineering",
        "name": "Widget",
        "type": "String",
        "isCollection": False,
        "isSearchable": True,
        "status": "Available",
        "usePreDefinedValuesOnly": False,
    }

    response = graph_as(name).post(DEFINITIONS, body)

    assert response.status_code == status
    if status == 403:
        assert_denied(response)


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 201, "lee": 403, "ava": 403, "rey": 403, "gil": 403})
)
def test_create_attribute_set(graph_as: GraphAs, name: str, status: int) -> None:
    assert graph_as(name).post("/directory/attributeSets", {"id": "Legal"}).status_code == status


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 204, "lee": 403, "ava": 403, "rey": 403, "gil": 403})
)
def test_deactivate_allowed_value(graph_as: GraphAs, name: str, status: int) -> None:
    path = f"{DEFINITIONS}/Engineering_Project/allowedValues/Alpine"

    assert graph_as(name).patch(path, {"isActive": False}).status_code == status


def test_set_scoped_reader_sees_only_its_sets(graph_as: GraphAs) -> None:
    lee = graph_as("lee")

    sets = lee.get("/directory/attributeSets").json()["value"]
    definitions = lee.get(DEFINITIONS).json()["value"]

    assert [s["id"] for s in sets] == ["Engineering"]
    assert {d["attributeSet"] for d in definitions} == {"Engineering"}
    assert_denied(lee.get("/directory/attributeSets/Marketing"))
    assert_denied(lee.get(f"{DEFINITIONS}/Marketing_EmployeeId"))
    assert lee.get(f"{DEFINITIONS}/Engineering_Project/allowedValues").status_code == 200


# -- assignments -------------------------------------------------------------------------


READ_SETS = {
    "ada": {"Engineering", "Marketing"},
    "lee": {"Engineering"},
    "ava": {"Engineering", "Marketing"},
    "rey": None,
    "gil": None,
}


@pytest.mark.parametrize("name", ACCOUNTS)
def test_read_assignments(graph_as: GraphAs, name: str) -> None:
    response = graph_as(name).get(f"/users/{JOE}?$select=customSecurityAttributes")

    assert response.status_code == 200
    values = response.json()["customSecurityAttributes"]
    assert (set(values) if values else None) == READ_SETS[name]


@pytest.mark.parametrize(
    ("name", "set_name", "status"),
    [
        *[
            (n, "Engineering", s)
            for n, s in expect({"ada": 204, "lee": 204, "ava": 403, "rey": 403, "gil": 403})
        ],
        *[
            (n, "Marketing", s)
            for n, s in expect({"ada": 204, "lee": 403, "ava": 403, "rey": 403, "gil": 403})
        ],
    ],
)
def test_write_assignments(
    graph_as: GraphAs, ada: GraphCaller, name: str, set_name: str, status: int
) -> None:
    attribute = {"Engineering": "ProjectDate", "Marketing": "EmployeeId"}[set_name]
    body = {
        "customSecurityAttributes": {set_name: {"@odata.type": SET_TYPE, attribute: "CHANGED1"}}
    }

    response = graph_as(name).patch(f"/users/{JOE}", body)

    assert response.status_code == status
    stored = ada.user_csa(JOE)[set_name][attribute]
    assert (stored == "CHANGED1") == (status == 204)


def test_set_scoped_admin_cannot_touch_other_sets_in_the_same_request(
    graph_as: GraphAs, ada: GraphCaller
) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2040-01-01"},
            "Marketing": {"@odata.type": SET_TYPE, "EmployeeId": "XX1"},
        }
    }

    assert_denied(graph_as("lee").patch(f"/users/{JOE}", body))
    assert ada.user_csa(JOE)["Engineering"]["ProjectDate"] == "2022-10-01"


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 200, "lee": 403, "ava": 200, "rey": 403, "gil": 403})
)
def test_filter_on_marketing_values(graph_as: GraphAs, name: str, status: int) -> None:
    path = "/users?$count=true&$filter=customSecurityAttributes/Marketing/AppCountry eq 'Canada'"

    assert graph_as(name).get(path, headers=ADVANCED).status_code == status


def test_lee_filters_engineering_values(graph_as: GraphAs) -> None:
    path = "/users?$count=true&$filter=customSecurityAttributes/Engineering/Project eq 'Baker'"

    assert graph_as("lee").get(path, headers=ADVANCED).status_code == 200


def test_a_user_sees_own_values_only_with_a_role(graph_as: GraphAs) -> None:
    lee = graph_as("lee").get("/me?$select=customSecurityAttributes").json()
    rey = graph_as("rey").get("/me?$select=customSecurityAttributes").json()

    assert lee["customSecurityAttributes"]["Engineering"]["Project"] == ["Alpine", "Baker"]
    assert rey["customSecurityAttributes"] is None


# -- audit logs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 200, "lee": 403, "ava": 200, "rey": 403, "gil": 403})
)
def test_read_audit_logs(graph_as: GraphAs, name: str, status: int) -> None:
    response = graph_as(name).get("/auditLogs/customSecurityAttributeAudits", version="beta")

    assert response.status_code == status


# -- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACCOUNTS)
def test_everyone_reads_their_own_role_assignments(graph_as: GraphAs, name: str) -> None:
    own = user_id(name)

    response = graph_as(name).get(
        f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{own}'"
    )

    assert response.status_code == 200
    held = {(a["roleDefinitionId"], a["directoryScopeId"]) for a in response.json()["value"]}
    account = next(a for a in demo.DEMO_ACCOUNTS if a.object_id == own)
    assert held == {(g.role_id, g.scope) for g in account.roles}


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 403, "lee": 403, "ava": 403, "rey": 403, "gil": 200})
)
def test_reading_other_users_role_assignments(graph_as: GraphAs, name: str, status: int) -> None:
    other = user_id("lee") if name != "lee" else user_id("ada")

    response = graph_as(name).get(
        f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{other}'"
    )

    assert response.status_code == status


def test_reading_all_role_assignments_needs_a_directory_role(graph_as: GraphAs) -> None:
    assert_denied(graph_as("ada").get("/roleManagement/directory/roleAssignments"))
    assert (
        len(graph_as("gil").get("/roleManagement/directory/roleAssignments").json()["value"]) == 8
    )


def test_self_role_read_can_be_switched_off(emu, graph_as: GraphAs) -> None:  # type: ignore[no-untyped-def]
    emu.configure(self_role_read=False)
    own = user_id("lee")

    assert_denied(
        graph_as("lee").get(
            f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{own}'"
        )
    )
    assert (
        graph_as("gil")
        .get(f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{own}'")
        .ok
    )


def test_role_assignments_expand_role_definition(graph_as: GraphAs) -> None:
    own = user_id("lee")
    body = (
        graph_as("lee")
        .get(
            f"/roleManagement/directory/roleAssignments?$filter=principalId eq '{own}'&$expand=roleDefinition"
        )
        .json()
    )

    assignment = body["value"][0]
    assert assignment["directoryScopeId"] == "/attributeSets/Engineering"
    assert assignment["roleDefinition"]["displayName"] == "Attribute Assignment Administrator"


@pytest.mark.parametrize(
    ("name", "status"), expect({"ada": 403, "lee": 403, "ava": 403, "rey": 403, "gil": 201})
)
def test_granting_roles(graph_as: GraphAs, name: str, status: int) -> None:
    body = {
        "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
        "roleDefinitionId": demo.ROLE_ATTRIBUTE_LOG_READER,
        "principalId": user_id("rey"),
        "directoryScopeId": "/",
    }

    assert (
        graph_as(name).post("/roleManagement/directory/roleAssignments", body).status_code == status
    )


def test_global_admin_grants_a_set_scoped_definition_role(graph_as: GraphAs) -> None:
    gil, rey = graph_as("gil"), graph_as("rey")
    body = {
        "roleDefinitionId": demo.ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR,
        "principalId": user_id("rey"),
        "directoryScopeId": "/attributeSets/Engineering",
    }

    created = gil.post("/roleManagement/directory/roleAssignments", body)

    assert created.status_code == 201
    assert created.json()["directoryScopeId"] == "/attributeSets/Engineering"
    assert (
        rey.patch(f"{DEFINITIONS}/Engineering_Project", {"description": "Scoped edit"}).status_code
        == 204
    )
    assert_denied(rey.patch(f"{DEFINITIONS}/Marketing_EmployeeId", {"description": "Nope"}))
    assert_denied(rey.patch("/directory/attributeSets/Engineering", {"description": "Nope"}))
    duplicate = gil.post("/roleManagement/directory/roleAssignments", body)
    assert "conflicting object" in error_of(duplicate)["message"]
    assert (
        gil.delete(f"/roleManagement/directory/roleAssignments/{created.json()['id']}").status_code
        == 204
    )
    assert_denied(rey.patch(f"{DEFINITIONS}/Engineering_Project", {"description": "Again"}))


def test_global_admin_grants_itself_an_attribute_role(graph_as: GraphAs) -> None:
    gil = graph_as("gil")
    assert (
        gil.get(f"/users/{JOE}?$select=customSecurityAttributes").json()["customSecurityAttributes"]
        is None
    )
    body = {
        "roleDefinitionId": demo.ROLE_ATTRIBUTE_ASSIGNMENT_READER,
        "principalId": user_id("gil"),
        "directoryScopeId": "/",
    }

    assert gil.post("/roleManagement/directory/roleAssignments", body).status_code == 201
    assert gil.get(f"/users/{JOE}?$select=customSecurityAttributes").json()[
        "customSecurityAttributes"
    ]


def test_roles_that_cannot_be_set_scoped(graph_as: GraphAs) -> None:
    body = {
        "roleDefinitionId": demo.ROLE_ATTRIBUTE_LOG_READER,
        "principalId": user_id("rey"),
        "directoryScopeId": "/attributeSets/Engineering",
    }

    response = graph_as("gil").post("/roleManagement/directory/roleAssignments", body)

    assert "cannot be scoped to an attribute set" in error_of(response)["message"]


def test_member_of_lists_tenant_wide_roles_only(graph_as: GraphAs) -> None:
    ada = graph_as("ada").get("/me/memberOf").json()["value"]
    lee = graph_as("lee").get("/me/memberOf/microsoft.graph.directoryRole").json()["value"]

    assert {r["roleTemplateId"] for r in ada} == {
        demo.ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR,
        demo.ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR,
        demo.ROLE_ATTRIBUTE_LOG_READER,
    }
    assert all(r["@odata.type"] == "#microsoft.graph.directoryRole" for r in ada)
    assert lee == []


def test_role_definitions(graph_as: GraphAs) -> None:
    body = (
        graph_as("rey")
        .get(
            "/roleManagement/directory/roleDefinitions?$filter=displayName eq 'Attribute Log Reader'"
        )
        .json()
    )

    assert [r["templateId"] for r in body["value"]] == [demo.ROLE_ATTRIBUTE_LOG_READER]


# -- scopes ------------------------------------------------------------------------------


def test_role_without_scope_is_not_enough(graph_as: GraphAs) -> None:
    narrow = graph_as("ada", ("User.Read",))

    assert_denied(narrow.get(DEFINITIONS))
    assert_denied(narrow.get("/users"))
    assert narrow.get("/me").status_code == 200
    assert narrow.get(f"/users/{demo.ADA.user_principal_name}").status_code == 200


def test_read_scope_does_not_allow_writes(graph_as: GraphAs) -> None:
    reader = graph_as(
        "ada",
        (
            "https://graph.microsoft.com/CustomSecAttributeAssignment.Read.All",
            "https://graph.microsoft.com/User.Read.All",
        ),
    )
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2041-01-01"}
        }
    }

    assert reader.get(f"/users/{JOE}?$select=customSecurityAttributes").json()[
        "customSecurityAttributes"
    ]
    assert_denied(reader.patch(f"/users/{JOE}", body))


def test_values_read_as_null_without_the_assignment_scope(graph_as: GraphAs) -> None:
    caller = graph_as("ada", ("User.Read.All",))

    assert (
        caller.get(f"/users/{JOE}?$select=customSecurityAttributes").json()[
            "customSecurityAttributes"
        ]
        is None
    )


def test_checks_apply_inside_batch(graph_as: GraphAs) -> None:
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/directory/attributeSets"},
            {"id": "2", "method": "GET", "url": "/auditLogs/customSecurityAttributeAudits"},
        ]
    }

    responses = graph_as("gil").post("/$batch", body).json()["responses"]

    assert [r["status"] for r in sorted(responses, key=lambda r: r["id"])] == [403, 400]
