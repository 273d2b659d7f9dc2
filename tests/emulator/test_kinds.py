"""Object kinds (graph-api.md §11): agent identities, their blueprint principals, agents'
user accounts, managed identities, Microsoft's first-party applications and guests. The
cast segments, `@odata.type` of derived types, the links between them, sponsors, and
custom security attributes on every kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from emulator.tenant import agents
from emulator.tenant.kinds import MICROSOFT_TENANT_ID
from tests.emulator.conftest import (
    ADVANCED,
    DEMO_SERVICE_PRINCIPALS,
    SET_TYPE,
    GraphCaller,
    error_of,
)

AGENTS = "/servicePrincipals/microsoft.graph.agentIdentity"
BLUEPRINTS = "/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal"
AGENT_USERS = "/users/microsoft.graph.agentUser"
HR_ONBOARDING = agents.DEMO_AGENTS[0]
LEAD_RESEARCH = next(a for a in agents.DEMO_AGENTS if a.key == "lead-research-agent")
STATUS = "customSecurityAttributes/AgentAttributes/AgentApprovalStatus"


def context_of(body: dict[str, Any]) -> str:
    return body["@odata.context"].split("$metadata#", 1)[1]


def all_pages(caller: GraphCaller, path: str, headers: dict[str, str] | None = None) -> list[dict]:
    items: list[dict] = []
    while path:
        body = caller.get(path, headers=headers or {}).json()
        items += body["value"]
        path = (
            body.get("@odata.nextLink", "").split("/v1.0", 1)[-1]
            if "@odata.nextLink" in body
            else ""
        )
    return items


# -- cast segments ---------------------------------------------------------------------


def test_agent_identities_are_listed_by_their_cast(ada: GraphCaller) -> None:
    body = ada.get(AGENTS).json()

    assert context_of(body) == "servicePrincipals/microsoft.graph.agentIdentity"
    assert [a["id"] for a in body["value"]] == [a.object_id for a in agents.DEMO_AGENTS]
    first = body["value"][0]
    assert "@odata.type" not in first  # the context already names the type
    assert first["servicePrincipalType"] == "ServiceIdentity"
    assert first["appId"] == first["id"]
    assert first["agentIdentityBlueprintId"] == HR_ONBOARDING.blueprint.app_id
    assert first["createdByAppId"] == HR_ONBOARDING.blueprint.app_id
    assert {"createdDateTime", "disabledByMicrosoftStatus", "tags", "accountEnabled"} <= set(first)
    assert "customSecurityAttributes" not in first


def test_blueprint_principals_and_agent_users_are_listed_by_their_casts(ada: GraphCaller) -> None:
    blueprints = ada.get(BLUEPRINTS).json()
    agent_users = ada.get(AGENT_USERS).json()

    assert (
        context_of(blueprints)
        == "servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal"
    )
    assert [b["displayName"] for b in blueprints["value"]] == [
        b.display_name for b in agents.DEMO_BLUEPRINTS
    ]
    assert {b["servicePrincipalType"] for b in blueprints["value"]} == {"Application"}
    assert {b["appOwnerOrganizationId"] for b in blueprints["value"]} == {
        "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
    }
    assert context_of(agent_users) == "users/microsoft.graph.agentUser"
    assert [u["identityParentId"] for u in agent_users["value"]] == [
        a.object_id for a in agents.DEMO_AGENTS if a.has_user
    ]
    assert all("@odata.type" not in u for u in agent_users["value"])


def test_derived_types_carry_their_type_in_base_collection_lists(ada: GraphCaller) -> None:
    sps = ada.get("/servicePrincipals?$top=999").json()["value"]
    users = ada.get("/users?$top=999&$select=id,displayName").json()["value"]

    types = [sp.get("@odata.type") for sp in sps]
    assert len(sps) == DEMO_SERVICE_PRINCIPALS
    assert types.count("#microsoft.graph.agentIdentity") == 10
    assert types.count("#microsoft.graph.agentIdentityBlueprintPrincipal") == 4
    assert types.count(None) == DEMO_SERVICE_PRINCIPALS - 14
    agent = next(sp for sp in sps if sp.get("@odata.type") == "#microsoft.graph.agentIdentity")
    assert agent["agentIdentityBlueprintId"]  # its own type's default properties
    typed_users = [u for u in users if "@odata.type" in u]
    assert [u["@odata.type"] for u in typed_users] == ["#microsoft.graph.agentUser"] * 3
    assert set(typed_users[0]) == {"@odata.type", "id", "displayName"}


def test_get_by_id_carries_the_type_and_the_cast_path_does_not(ada: GraphCaller) -> None:
    plain = ada.get(f"/servicePrincipals/{HR_ONBOARDING.object_id}").json()
    cast = ada.get(
        f"/servicePrincipals/{HR_ONBOARDING.object_id}/microsoft.graph.agentIdentity"
    ).json()
    user = ada.get(f"/users/{HR_ONBOARDING.user_principal_name}?$select=id,identityParentId").json()
    user_cast = ada.get(f"/users/{HR_ONBOARDING.user_id}/microsoft.graph.agentUser").json()

    assert context_of(plain) == "servicePrincipals/$entity"
    assert plain["@odata.type"] == "#microsoft.graph.agentIdentity"
    assert plain["agentIdentityBlueprintId"] == HR_ONBOARDING.blueprint.app_id
    assert context_of(cast) == "servicePrincipals/microsoft.graph.agentIdentity/$entity"
    assert "@odata.type" not in cast
    assert {k: v for k, v in plain.items() if not k.startswith("@")} == {
        k: v for k, v in cast.items() if not k.startswith("@")
    }
    assert user == {
        "@odata.context": user["@odata.context"],
        "@odata.type": "#microsoft.graph.agentUser",
        "id": HR_ONBOARDING.user_id,
        "identityParentId": HR_ONBOARDING.object_id,
    }
    assert context_of(user_cast) == "users/microsoft.graph.agentUser/$entity"
    assert user_cast["identityParentId"] == HR_ONBOARDING.object_id


def test_a_cast_to_the_wrong_type_is_not_found(ada: GraphCaller) -> None:
    blueprint = agents.HR_BLUEPRINT.principal_id

    response = ada.get(f"/servicePrincipals/{blueprint}/microsoft.graph.agentIdentity")

    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert (
        ada.get(
            f"/servicePrincipals/{blueprint}/microsoft.graph.agentIdentityBlueprintPrincipal"
        ).status_code
        == 200
    )
    assert ada.get("/users/ada.admin@contoso.example/microsoft.graph.agentUser").status_code == 404


def test_cast_segments_match_without_regard_to_case(ada: GraphCaller) -> None:
    body = ada.get("/users/microsoft.graph.AgentUser").json()

    assert len(body["value"]) == 3


def test_plain_service_principals_read_agent_properties_as_null(ada: GraphCaller) -> None:
    body = ada.get(
        "/servicePrincipals?$select=displayName,agentIdentityBlueprintId&$top=999"
    ).json()

    by_name = {sp["displayName"]: sp for sp in body["value"]}
    assert by_name["Microsoft Graph"]["agentIdentityBlueprintId"] is None
    assert (
        by_name["HR Onboarding Agent"]["agentIdentityBlueprintId"] == HR_ONBOARDING.blueprint.app_id
    )


# -- everything a list supports, on the casts ----------------------------------------------


def test_cast_lists_page_count_and_order(ada: GraphCaller) -> None:
    first = ada.get(
        f"{AGENTS}?$count=true&$top=4&$orderby=displayName&$select=displayName", headers=ADVANCED
    ).json()
    names = [
        a["displayName"]
        for a in all_pages(ada, f"{AGENTS}?$top=4&$orderby=displayName&$select=displayName")
    ]

    assert first["@odata.count"] == 10
    assert len(first["value"]) == 4
    assert "/servicePrincipals/microsoft.graph.agentIdentity?" in first["@odata.nextLink"]
    assert names == sorted((a.display_name for a in agents.DEMO_AGENTS), key=str.casefold)


@pytest.mark.parametrize(
    ("path", "count"),
    [(f"{AGENTS}/$count", 10), (f"{BLUEPRINTS}/$count", 4), (f"{AGENT_USERS}/$count", 3)],
)
def test_count_segment_on_casts(ada: GraphCaller, path: str, count: int) -> None:
    assert ada.get(path).status_code == 400  # needs ConsistencyLevel, as on the base collection
    response = ada.get(path, headers=ADVANCED)

    assert response.text == str(count)


def test_count_segment_on_a_cast_with_a_filter(ada: GraphCaller) -> None:
    response = ada.get(f"{AGENTS}/$count?$filter={STATUS} eq 'IT_Approved'", headers=ADVANCED)

    assert response.text == "3"


def test_agents_of_one_blueprint(ada: GraphCaller) -> None:
    app_id = agents.FINANCE_BLUEPRINT.app_id

    body = ada.get(
        f"{AGENTS}?$filter=agentIdentityBlueprintId eq '{app_id}'&$select=displayName"
    ).json()

    assert [a["displayName"] for a in body["value"]] == [
        "Invoice Triage Agent", "Expense Audit Agent", "Procurement Agent",
    ]  # fmt: skip


def test_the_agent_user_of_an_agent(ada: GraphCaller) -> None:
    body = ada.get(f"{AGENT_USERS}?$filter=identityParentId eq '{HR_ONBOARDING.object_id}'").json()

    assert [u["userPrincipalName"] for u in body["value"]] == [
        "hr-onboarding-agent@contoso.example"
    ]


def test_cast_lists_take_csa_filters_as_advanced_queries(ada: GraphCaller) -> None:
    path = f"{AGENTS}?$count=true&$select=displayName,customSecurityAttributes&$filter={STATUS} eq 'HR_Approved'"

    assert ada.get(path).status_code == 400
    body = ada.get(path, headers=ADVANCED).json()

    assert [a["displayName"] for a in body["value"]] == ["HR Onboarding Agent"]
    assert body["value"][0]["customSecurityAttributes"]["AgentAttributes"]["AgentApprovalStatus"] == [
        "HR_Approved", "IT_Approved",
    ]  # fmt: skip


def test_a_status_board_has_every_column(ada: GraphCaller) -> None:
    def column(status: str) -> list[str]:
        body = ada.get(
            f"{AGENTS}?$count=true&$select=displayName&$filter={STATUS} eq '{status}'",
            headers=ADVANCED,
        ).json()
        return [a["displayName"] for a in body["value"]]

    board = {status: column(status) for status in agents.APPROVAL_STATUSES}
    untagged = ada.get(
        f"{AGENTS}?$count=true&$select=displayName&$filter=not({STATUS} eq 'New' or {STATUS} eq 'In_Review' "
        f"or {STATUS} eq 'HR_Approved' or {STATUS} eq 'Finance_Approved' or {STATUS} eq 'IT_Approved')",
        headers=ADVANCED,
    ).json()

    assert all(board.values())
    assert board["In_Review"] == ["HR Benefits Agent", "Ticket Routing Agent"]
    assert {a["displayName"] for a in untagged["value"]} == {
        "HR Policy Q&A Agent", "Procurement Agent", "Lead Research Agent", "Proposal Drafting Agent",
    }  # fmt: skip


def test_coverage_counts_both_surfaces(ada: GraphCaller) -> None:
    """Zero Trust test 61008: an agent fails only when it and its blueprint are untagged."""
    agents_by_blueprint = all_pages(
        ada, f"{AGENTS}?$select=displayName,agentIdentityBlueprintId,customSecurityAttributes"
    )
    blueprints = {
        b["appId"]: b
        for b in ada.get(f"{BLUEPRINTS}?$select=appId,customSecurityAttributes").json()["value"]
    }

    failing = {
        a["displayName"]
        for a in agents_by_blueprint
        if not a["customSecurityAttributes"]
        and not blueprints[a["agentIdentityBlueprintId"]]["customSecurityAttributes"]
    }

    assert failing == {"Lead Research Agent", "Proposal Drafting Agent"}


# -- other kinds and their filters ---------------------------------------------------------


def test_first_party_applications_by_owner(ada: GraphCaller) -> None:
    path = f"/servicePrincipals?$select=displayName,appOwnerOrganizationId&$filter=appOwnerOrganizationId eq {MICROSOFT_TENANT_ID}"

    body = ada.get(path).json()

    names = [sp["displayName"] for sp in body["value"]]
    assert len(names) == 8
    assert {"Microsoft Graph", "Microsoft Azure CLI", "Microsoft Security Copilot"} <= set(names)
    assert {sp["appOwnerOrganizationId"] for sp in body["value"]} == {MICROSOFT_TENANT_ID}


def test_guid_properties_take_unquoted_literals(ada: GraphCaller) -> None:
    quoted = ada.get(
        f"/servicePrincipals?$filter=appOwnerOrganizationId eq '{MICROSOFT_TENANT_ID}'"
    )
    upper = ada.get(
        f"/servicePrincipals?$filter=appOwnerOrganizationId eq {MICROSOFT_TENANT_ID.upper()}"
    )
    either = ada.get(
        "/servicePrincipals?$select=id&$filter=appOwnerOrganizationId in "
        f"({MICROSOFT_TENANT_ID}, 3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01)"
    )

    assert quoted.status_code == 400
    assert error_of(quoted)["message"] == (
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.Guid' and 'Edm.String' for operator kind 'Equal'."
    )
    assert len(upper.json()["value"]) == 8
    assert len(either.json()["value"]) == 8 + 19 + 1 + 4  # Microsoft's, the tenant's, blueprints


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        ("servicePrincipalType eq 'ManagedIdentity'", 10),
        ("servicePrincipalType eq 'ServiceIdentity'", 10),
        ("servicePrincipalType in ('ManagedIdentity', 'ServiceIdentity')", 20),
        ("servicePrincipalType eq 'Application'", DEMO_SERVICE_PRINCIPALS - 20),
    ],
)
def test_service_principal_type_filters(ada: GraphCaller, expression: str, count: int) -> None:
    body = ada.get(
        f"/servicePrincipals?$top=999&$select=id,servicePrincipalType&$filter={expression}"
    ).json()

    assert len(body["value"]) == count


def test_managed_identities_of_both_kinds(ada: GraphCaller) -> None:
    body = ada.get(
        "/servicePrincipals?$top=999&$select=displayName,alternativeNames"
        "&$filter=servicePrincipalType eq 'ManagedIdentity'"
    ).json()

    explicit = {sp["alternativeNames"][0] for sp in body["value"]}
    assert explicit == {"isExplicit=True", "isExplicit=False"}


def test_guests_by_user_type(ada: GraphCaller) -> None:
    guests = ada.get(
        "/users?$top=999&$select=userPrincipalName,mail,userType&$filter=userType eq 'Guest'"
    ).json()["value"]
    both = ada.get("/users?$top=999&$select=id&$filter=userType in ('Guest', 'Member')").json()[
        "value"
    ]

    assert guests
    for guest in guests:
        alias, domain = guest["mail"].split("@")
        assert guest["userPrincipalName"] == f"{alias}_{domain}#EXT#@contoso.example"
    assert len(both) == ada.get("/users/$count", headers=ADVANCED).json()


def test_is_of_is_an_advanced_query(ada: GraphCaller) -> None:
    agents_only = "/servicePrincipals?$select=id&$filter=isOf('microsoft.graph.agentIdentity')"
    not_agents = (
        "/servicePrincipals?$count=true&$select=id&$top=999&$filter=not isOf('microsoft.graph.agentIdentity')"
        " and not isOf('microsoft.graph.agentIdentityBlueprintPrincipal')"
    )

    assert ada.get(agents_only).status_code == 400
    assert len(ada.get(f"{agents_only}&$count=true", headers=ADVANCED).json()["value"]) == 10
    assert (
        ada.get(not_agents, headers=ADVANCED).json()["@odata.count"] == DEMO_SERVICE_PRINCIPALS - 14
    )
    unknown = ada.get(
        f"{agents_only.replace('agentIdentity', 'widget')}&$count=true", headers=ADVANCED
    )
    assert unknown.status_code == 400


# -- sponsors ------------------------------------------------------------------------------


def test_expand_sponsors_on_the_agent_list(ada: GraphCaller) -> None:
    body = ada.get(
        f"{AGENTS}?$select=id,displayName&$expand=sponsors($select=id,displayName)"
    ).json()

    assert (
        context_of(body)
        == "servicePrincipals/microsoft.graph.agentIdentity(id,displayName,sponsors(id,displayName))"
    )
    by_name = {a["displayName"]: a["sponsors"] for a in body["value"]}
    assert by_name["HR Benefits Agent"] == [
        {"@odata.type": "#microsoft.graph.user", "id": "bcb9c949-d716-4a21-a5d8-493897cd36ba", "displayName": "Gil Global"},
        {"@odata.type": "#microsoft.graph.user", "id": "3729d667-ff01-4a53-8a1b-8149d9eebb2b", "displayName": "Ada Admin"},
    ]  # fmt: skip
    assert by_name["Procurement Agent"] == []


def test_expand_sponsors_without_a_nested_select_gives_the_users_defaults(ada: GraphCaller) -> None:
    agent = ada.get(
        f"/servicePrincipals/{HR_ONBOARDING.object_id}/microsoft.graph.agentIdentity?$expand=sponsors"
    ).json()

    assert (
        context_of(agent) == "servicePrincipals/microsoft.graph.agentIdentity(sponsors())/$entity"
    )
    (sponsor,) = agent["sponsors"]
    assert sponsor["@odata.type"] == "#microsoft.graph.user"
    assert sponsor["userPrincipalName"] == "gil.global@contoso.example"
    assert "businessPhones" in sponsor


def test_expand_sponsors_on_blueprint_principals_and_agent_users(ada: GraphCaller) -> None:
    blueprints = ada.get(f"{BLUEPRINTS}?$select=displayName&$expand=sponsors($select=id)").json()
    users = ada.get(f"{AGENT_USERS}?$select=displayName&$expand=sponsors($select=id)").json()

    assert all(len(b["sponsors"]) == 1 for b in blueprints["value"])
    assert [len(u["sponsors"]) for u in users["value"]] == [1, 1, 2]


def test_sponsors_values_follow_the_callers_access(graph_as: Callable[..., GraphCaller]) -> None:
    ticket = next(a for a in agents.DEMO_AGENTS if a.key == "ticket-routing-agent")
    path = (
        f"/servicePrincipals/{ticket.object_id}/microsoft.graph.agentIdentity"
        "?$select=id&$expand=sponsors($select=displayName,customSecurityAttributes)"
    )

    as_ada = graph_as("ada").get(path).json()["sponsors"]
    as_rey = graph_as("rey").get(path).json()["sponsors"]

    lee = next(s for s in as_ada if s["displayName"] == "Lee Lead")
    assert lee["customSecurityAttributes"]["Engineering"]["Project"] == ["Alpine", "Baker"]
    assert all(s["customSecurityAttributes"] is None for s in as_rey)


def test_sponsors_of_a_service_principal_are_reached_through_the_cast(ada: GraphCaller) -> None:
    response = ada.get(f"/servicePrincipals/{HR_ONBOARDING.object_id}/sponsors")

    assert response.status_code == 400
    assert error_of(response)["message"] == "Resource not found for the segment 'sponsors'."


def test_list_sponsors(ada: GraphCaller) -> None:
    agent = ada.get(
        f"/servicePrincipals/{HR_ONBOARDING.object_id}/microsoft.graph.agentIdentity/sponsors?$select=id"
    ).json()
    blueprint = ada.get(
        f"/servicePrincipals/{agents.IT_BLUEPRINT.principal_id}/microsoft.graph.agentIdentityBlueprintPrincipal/sponsors"
    ).json()
    user = ada.get(f"/users/{HR_ONBOARDING.user_principal_name}/sponsors?$select=id").json()

    assert context_of(agent) == "directoryObjects"
    assert agent["value"] == [
        {"@odata.type": "#microsoft.graph.user", "id": "bcb9c949-d716-4a21-a5d8-493897cd36ba"}
    ]
    assert [s["userPrincipalName"] for s in blueprint["value"]] == ["ada.admin@contoso.example"]
    assert user["value"] == agent["value"]


@pytest.mark.parametrize(
    ("path", "headers", "code", "message"),
    [
        ("/servicePrincipals?$expand=sponsors", {}, "Request_BadRequest",
         "Could not find a property named 'sponsors' on type 'microsoft.graph.servicePrincipal'."),
        (f"{AGENTS}?$expand=owners", {}, "Request_BadRequest",
         "Could not find a property named 'owners' on type 'microsoft.graph.agentIdentity'."),
        (f"{AGENTS}?$expand=sponsors,owners", {}, "Request_BadRequest",
         "Only one property can be expanded in a single query."),
        (f"{AGENTS}?$expand=sponsors&$count=true", ADVANCED, "Request_UnsupportedQuery",
         "$expand is not supported with advanced queries."),
        (f"{AGENTS}?$expand=sponsors($top=1)", {}, "Request_BadRequest",
         "The query option '$top' is not supported inside $expand; only $select is."),
        (f"{AGENTS}?$expand=sponsors($select=shoeSize)", {}, "Request_BadRequest",
         "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."),
    ],
)  # fmt: skip
def test_expand_errors(
    ada: GraphCaller, path: str, headers: dict[str, str], code: str, message: str
) -> None:
    response = ada.get(path, headers=headers)

    assert response.status_code == 400
    assert error_of(response) | {"innerError": None} == {
        "code": code,
        "message": message,
        "innerError": None,
    }


# -- custom security attributes on every kind ------------------------------------------------


def assign_status(*statuses: str) -> dict[str, Any]:
    return {
        "customSecurityAttributes": {
            "AgentAttributes": {
                "@odata.type": SET_TYPE,
                "AgentApprovalStatus@odata.type": "#Collection(String)",
                "AgentApprovalStatus": list(statuses),
            }
        }
    }


def agent_csa(caller: GraphCaller, object_id: str) -> Any:
    body = caller.get(f"/servicePrincipals/{object_id}?$select=customSecurityAttributes").json()
    return body["customSecurityAttributes"]


def test_tag_an_agent_identity_and_read_it_back(ada: GraphCaller) -> None:
    response = ada.patch(f"/servicePrincipals/{LEAD_RESEARCH.object_id}", assign_status("New"))

    assert response.status_code == 204
    assert agent_csa(ada, LEAD_RESEARCH.object_id) == {
        "AgentAttributes": {
            "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
            "AgentApprovalStatus@odata.type": "#Collection(String)",
            "AgentApprovalStatus": ["New"],
        }
    }


def test_the_cast_path_takes_the_same_patch(ada: GraphCaller) -> None:
    blueprint = agents.SALES_BLUEPRINT.principal_id
    path = f"/servicePrincipals/{blueprint}/microsoft.graph.agentIdentityBlueprintPrincipal"

    assert ada.patch(path, assign_status("In_Review")).status_code == 204
    assert agent_csa(ada, blueprint)["AgentAttributes"]["AgentApprovalStatus"] == ["In_Review"]


def test_tag_an_agent_user(ada: GraphCaller) -> None:
    agent_user = next(a for a in agents.DEMO_AGENTS if a.key == "ticket-routing-agent")

    assert (
        ada.patch(f"/users/{agent_user.user_id}", assign_status("IT_Approved")).status_code == 204
    )
    assert ada.user_csa(agent_user.user_principal_name)["AgentAttributes"][
        "AgentApprovalStatus"
    ] == ["IT_Approved"]


def test_agent_values_follow_the_same_rules(ada: GraphCaller) -> None:
    response = ada.patch(f"/servicePrincipals/{LEAD_RESEARCH.object_id}", assign_status("Approved"))

    assert response.status_code == 400
    assert "'Approved' is not one of the predefined values" in error_of(response)["message"]


def test_agent_changes_are_audited(ada: GraphCaller) -> None:
    ada.patch(
        f"/servicePrincipals/{LEAD_RESEARCH.object_id}",
        assign_status("New"),
        headers={"client-request-id": "agent-tagging-1"},
    )

    feed = ada.get(
        "/auditLogs/customSecurityAttributeAudits?$filter=correlationId eq 'agent-tagging-1'",
        version="beta",
    ).json()["value"]

    (record,) = feed
    assert record["activityDisplayName"] == "Update attribute values assigned to a servicePrincipal"
    assert record["operationType"] == "Assign"
    target = record["targetResources"][0]
    assert (target["id"], target["displayName"], target["type"]) == (
        LEAD_RESEARCH.object_id, "Lead Research Agent", "App",
    )  # fmt: skip
    assert target["modifiedProperties"][0] == {
        "displayName": "AgentAttributes_AgentApprovalStatus",
        "oldValue": "[]",
        "newValue": '["New"]',
    }


def test_agent_user_changes_are_audited_as_user_changes(ada: GraphCaller) -> None:
    ada.patch(
        f"/users/{HR_ONBOARDING.user_id}",
        assign_status(),
        headers={"client-request-id": "agent-user-untag-1"},
    )

    (record,) = ada.get(
        "/auditLogs/customSecurityAttributeAudits?$filter=correlationId eq 'agent-user-untag-1'",
        version="beta",
    ).json()["value"]

    assert record["activityDisplayName"] == "Update attribute values assigned to a user"
    assert record["operationType"] == "Unassign"
    assert record["targetResources"][0]["userPrincipalName"] == HR_ONBOARDING.user_principal_name


@pytest.mark.parametrize(
    ("name", "visible"),
    [("ada", True), ("ava", True), ("lee", False), ("rey", False), ("gil", False)],
)
def test_reading_agent_values_needs_an_assignment_role(
    graph_as: Callable[..., GraphCaller], name: str, visible: bool
) -> None:
    csa = agent_csa(graph_as(name), HR_ONBOARDING.object_id)

    assert (csa is not None) == visible  # lee's role covers Engineering only


@pytest.mark.parametrize(
    ("name", "status"), [("ada", 204), ("lee", 403), ("ava", 403), ("gil", 403)]
)
def test_tagging_agents_needs_the_assignment_administrator_role(
    graph_as: Callable[..., GraphCaller], name: str, status: int
) -> None:
    response = graph_as(name).patch(
        f"/servicePrincipals/{LEAD_RESEARCH.object_id}", assign_status("New")
    )

    assert response.status_code == status


def test_cast_lists_need_the_service_principal_read_scope(
    graph_as: Callable[..., GraphCaller],
) -> None:
    limited = graph_as("ada", scopes=("https://graph.microsoft.com/User.Read.All",))

    assert limited.get(AGENTS).status_code == 403
    assert limited.get(AGENT_USERS).status_code == 200


def test_resource_applications_carry_the_department(ada: GraphCaller) -> None:
    body = ada.get(
        "/servicePrincipals?$count=true&$select=displayName,customSecurityAttributes"
        "&$filter=customSecurityAttributes/ResourceAttributes/Department eq 'HR'",
        headers=ADVANCED,
    ).json()

    assert {sp["displayName"] for sp in body["value"]} == {"Workday Connector", "Payroll Sync"}
    assert re.fullmatch(
        r"servicePrincipals\(displayName,customSecurityAttributes\)", context_of(body)
    )
