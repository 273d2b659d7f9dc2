"""Listing users and service principals: $filter, $search, $select, $orderby, paging."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import ADVANCED, DEMO_USERS, GraphCaller, error_of, user_id

CSA_FILTER = "customSecurityAttributes/Engineering/Project eq 'Baker'"


def all_pages(caller: GraphCaller, path: str, headers: dict[str, str] | None = None) -> list[dict]:
    items, first = [], True
    while path:
        body = caller.get(path, headers=headers or {}).json()
        assert ("@odata.count" in body) == (first and "$count=true" in path)
        items += body["value"]
        path = (
            body.get("@odata.nextLink", "").split("/v1.0", 1)[-1]
            if "@odata.nextLink" in body
            else ""
        )
        first = False
    return items


def test_default_page_is_100_with_next_link(ada: GraphCaller) -> None:
    body = ada.get("/users").json()

    assert len(body["value"]) == 100
    assert "$skiptoken=" in body["@odata.nextLink"]


def test_paging_visits_every_user_once(ada: GraphCaller) -> None:
    users = all_pages(ada, "/users?$top=37&$select=id")

    assert len(users) == DEMO_USERS
    assert len({u["id"] for u in users}) == DEMO_USERS


@pytest.mark.parametrize("top", ["0", "1000"])
def test_top_must_be_between_1_and_999(ada: GraphCaller, top: str) -> None:
    response = ada.get(f"/users?$top={top}")

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive."
    )


def test_top_999_returns_everything(ada: GraphCaller) -> None:
    body = ada.get("/users?$top=999&$select=id").json()

    assert len(body["value"]) == DEMO_USERS
    assert "@odata.nextLink" not in body


def test_invalid_skiptoken(ada: GraphCaller) -> None:
    response = ada.get("/users?$skiptoken=garbage")

    assert response.status_code == 400


def test_csa_filter_needs_consistency_level_and_count(ada: GraphCaller) -> None:
    expected = (
        "Unsupported or invalid query filter clause specified for property "
        "'Engineering_Project' of resource 'CustomSecurityAttributeValue'."
    )
    for path, headers in [
        (f"/users?$filter={CSA_FILTER}", {}),
        (f"/users?$count=true&$filter={CSA_FILTER}", {}),
        (f"/users?$filter={CSA_FILTER}", ADVANCED),
    ]:
        response = ada.get(path, headers=headers)
        assert response.status_code == 400
        assert error_of(response) | {"innerError": None} == {
            "code": "Request_UnsupportedQuery",
            "message": expected,
            "innerError": None,
        }


def test_consistency_level_may_be_given_in_the_query(ada: GraphCaller) -> None:
    response = ada.get(f"/users?$count=true&ConsistencyLevel=eventual&$filter={CSA_FILTER}")

    assert response.status_code == 200


def test_csa_filter_on_a_collection_matches_any_element(ada: GraphCaller) -> None:
    users = all_pages(
        ada,
        f"/users?$count=true&$select=id,customSecurityAttributes&$filter={CSA_FILTER}",
        ADVANCED,
    )

    assert users
    assert all("Baker" in u["customSecurityAttributes"]["Engineering"]["Project"] for u in users)


def test_csa_filter_values_are_case_sensitive(ada: GraphCaller) -> None:
    body = ada.get(
        "/users?$count=true&$filter=customSecurityAttributes/Engineering/Project eq 'baker'",
        headers=ADVANCED,
    ).json()

    assert body["@odata.count"] == 0


def test_csa_filter_with_integer_and_boolean(ada: GraphCaller) -> None:
    numbers = ada.get(
        "/users?$count=true&$filter=customSecurityAttributes/Engineering/NumVendors eq 8",
        headers=ADVANCED,
    ).json()
    flags = ada.get(
        "/users?$count=true&$select=customSecurityAttributes"
        "&$filter=customSecurityAttributes/Engineering/Certification eq true",
        headers=ADVANCED,
    ).json()

    assert "Joe Contoso" in {u["displayName"] for u in numbers["value"]}
    assert flags["@odata.count"] > 0
    assert all(
        u["customSecurityAttributes"]["Engineering"]["Certification"] is True
        for u in flags["value"]
    )


def test_csa_filter_type_mismatch(ada: GraphCaller) -> None:
    response = ada.get(
        "/users?$count=true&$filter=customSecurityAttributes/Engineering/NumVendors eq '8'",
        headers=ADVANCED,
    )

    assert response.status_code == 400
    assert "'Engineering_NumVendors'" in error_of(response)["message"]


def test_csa_filter_on_non_searchable_attribute(ada: GraphCaller) -> None:
    response = ada.get(
        "/users?$count=true&$filter=customSecurityAttributes/Marketing/Campaign eq 'LAUNCH-X'",
        headers=ADVANCED,
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Unsupported or invalid query filter clause specified for property 'Marketing_Campaign' "
        "of resource 'CustomSecurityAttributeValue'."
    )


def test_csa_filter_on_unknown_attribute(ada: GraphCaller) -> None:
    response = ada.get(
        "/users?$count=true&$filter=customSecurityAttributes/Marketing/Nope eq 'x'",
        headers=ADVANCED,
    )

    assert response.status_code == 400
    assert "'Marketing_Nope'" in error_of(response)["message"]


def test_csa_filter_not_and_or(ada: GraphCaller) -> None:
    def count(expression: str) -> int:
        body = ada.get(f"/users?$count=true&$top=1&$filter={expression}", headers=ADVANCED).json()
        return body["@odata.count"]

    baker = count(CSA_FILTER)
    alpine = count("customSecurityAttributes/Engineering/Project eq 'Alpine'")
    both = count(f"{CSA_FILTER} and customSecurityAttributes/Engineering/Project eq 'Alpine'")
    either = count(f"({CSA_FILTER}) or customSecurityAttributes/Engineering/Project eq 'Alpine'")
    not_baker = count(f"not({CSA_FILTER})")

    assert either == baker + alpine - both
    assert not_baker == DEMO_USERS - baker
    assert both >= 1  # Lee Lead has both


def test_filter_on_ordinary_properties(ada: GraphCaller) -> None:
    by_name = ada.get("/users?$filter=startsWith(displayName,'ada')").json()
    by_upn = ada.get("/users?$filter=userPrincipalName eq 'LEE.LEAD@contoso.example'").json()
    disabled = ada.get("/users?$filter=accountEnabled eq false&$select=accountEnabled").json()

    assert [u["displayName"] for u in by_name["value"]] == ["Ada Admin"]
    assert [u["displayName"] for u in by_upn["value"]] == ["Lee Lead"]
    assert disabled["value"]
    assert all(u["accountEnabled"] is False for u in disabled["value"])


def test_filter_with_in_operator(ada: GraphCaller) -> None:
    ids = [user_id("ada"), user_id("lee")]
    body = ada.get(f"/users?$filter=id in ('{ids[0]}','{ids[1]}')&$select=id").json()

    assert sorted(u["id"] for u in body["value"]) == sorted(ids)


def test_filter_on_unknown_property(ada: GraphCaller) -> None:
    response = ada.get("/users?$filter=shoeSize eq 42")

    assert response.status_code == 400
    assert "shoeSize" in error_of(response)["message"]


def test_filter_syntax_error(ada: GraphCaller) -> None:
    response = ada.get("/users?$filter=displayName eq")

    assert response.status_code == 400


def test_search_display_name(ada: GraphCaller) -> None:
    body = ada.get('/users?$search="displayName:lee"&$count=true', headers=ADVANCED).json()

    assert "Lee Lead" in {u["displayName"] for u in body["value"]}
    assert all(
        any(word.lower().startswith("lee") for word in u["displayName"].split())
        for u in body["value"]
    )
    assert body["@odata.count"] == len(body["value"])


def test_search_with_or(ada: GraphCaller) -> None:
    body = ada.get('/users?$search="displayName:ada" OR "displayName:gil"', headers=ADVANCED).json()

    assert {"Ada Admin", "Gil Global"} <= {u["displayName"] for u in body["value"]}


def test_order_by_display_name(ada: GraphCaller) -> None:
    names = [
        u["displayName"] for u in ada.get("/users?$orderby=displayName&$top=999").json()["value"]
    ]

    assert names == sorted(names, key=str.casefold)


def test_order_by_with_filter_needs_advanced_query(ada: GraphCaller) -> None:
    path = "/users?$orderby=displayName&$filter=startsWith(displayName,'A')"

    assert ada.get(path).status_code == 400
    assert ada.get(f"{path}&$count=true", headers=ADVANCED).status_code == 200


def test_count_only_on_first_page_and_header_is_not_carried(ada: GraphCaller) -> None:
    first = ada.get("/users?$count=true&$top=50&$select=id", headers=ADVANCED).json()
    second_path = first["@odata.nextLink"].split("/v1.0", 1)[1]

    assert first["@odata.count"] == DEMO_USERS
    second = ada.get(second_path, headers=ADVANCED).json()
    assert "@odata.count" not in second
    assert len(second["value"]) == 50


def test_select_unknown_property(ada: GraphCaller) -> None:
    response = ada.get("/users?$select=id,shoeSize")

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."
    )


def test_select_returns_only_selected_properties(ada: GraphCaller) -> None:
    body = ada.get("/users?$select=displayName,department&$top=3").json()

    assert all(set(u) == {"displayName", "department"} for u in body["value"])


def test_get_user_by_upn_with_guest_marker(ada: GraphCaller) -> None:
    guest = ada.get("/users?$filter=userType eq 'Guest'&$top=1&$select=userPrincipalName").json()[
        "value"
    ][0]
    upn = guest["userPrincipalName"].replace("#", "%23")

    body = ada.get(f"/users/{upn}?$select=userPrincipalName,userType").json()

    assert body["userType"] == "Guest"
    assert body["userPrincipalName"] == guest["userPrincipalName"]


def test_me(graph_as) -> None:
    body = graph_as("rey").get("/me").json()

    assert body["userPrincipalName"] == "rey.reader@contoso.example"
    assert body["@odata.context"].endswith("$metadata#users/$entity")


def test_service_principals_by_type_and_app_id(ada: GraphCaller) -> None:
    identities = ada.get(
        "/servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'"
    ).json()
    portal = ada.get("/servicePrincipals(appId='8b2f7c1d-4e5a-4c3b-9d8e-1a2b3c4d5e6f')").json()

    assert len(identities["value"]) == 10
    assert all(sp["servicePrincipalType"] == "ManagedIdentity" for sp in identities["value"])
    assert portal["displayName"] == "Attribute Portal (demo)"


def test_service_principal_csa_filter(ada: GraphCaller) -> None:
    body = ada.get(
        "/servicePrincipals?$count=true&$select=displayName,customSecurityAttributes"
        "&$filter=customSecurityAttributes/Engineering/Datacenter eq 'East US'",
        headers=ADVANCED,
    ).json()

    assert all(
        "East US" in sp["customSecurityAttributes"]["Engineering"]["Datacenter"]
        for sp in body["value"]
    )


def test_unknown_path_segment(ada: GraphCaller) -> None:
    response = ada.get("/directory/widgets")

    assert response.status_code == 400
    assert error_of(response)["message"] == "Resource not found for the segment 'widgets'."


def test_beta_serves_the_same_resources(ada: GraphCaller) -> None:
    body = ada.get("/directory/attributeSets", version="beta").json()

    assert "/graph/beta/$metadata#directory/attributeSets" in body["@odata.context"]
    assert len(body["value"]) == 6
