"""`$search` on users and service principals (concepts/search-query-parameter.md):
tokenised on displayName, a case-insensitive prefix on every other property (userPrincipalName,
appId, …), clauses joined by AND/OR with parentheses, with `ConsistencyLevel: eventual`, and
combined with `$filter`, `$count`, `$top`, `$orderby` and the cast segments."""

from __future__ import annotations

import pytest

from emulator.graph.search import words
from tests.emulator.conftest import ADVANCED, GraphCaller, error_of

AGENTS = "/servicePrincipals/microsoft.graph.agentIdentity"


def names(caller: GraphCaller, path: str) -> list[str]:
    response = caller.get(path, headers=ADVANCED)
    assert response.status_code == 200, response.text
    return [item["displayName"] for item in response.json()["value"]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello world", ["hello", "world"]),
        ("HelloWorld", ["hello", "world", "helloworld"]),
        ("HELLOworld", ["helloworld"]),
        ("HelloWORld", ["hello", "world", "helloworld"]),
        ("hello.world", ["hello", "world", "helloworld"]),
        ("hello123world", ["hello", "123", "world", "hello123world"]),
        ("李四(David Li)", ["李四", "david", "李四david", "li"]),
    ],
)
def test_words_split_as_graph_documents(value: str, expected: list[str]) -> None:
    assert words(value) == expected


def test_display_name_words_match_by_prefix_in_any_order(ada: GraphCaller) -> None:
    assert names(ada, f'{AGENTS}?$search="displayName:agent onboard"') == ["HR Onboarding Agent"]
    assert names(ada, '/users?$search="displayName:LEAD lee"&$select=displayName') == ["Lee Lead"]


def test_display_name_words_joined_by_symbols_match_joined(ada: GraphCaller) -> None:
    assert names(ada, f'{AGENTS}?$search="displayName:qa"') == ["HR Policy Q&A Agent"]
    assert "mi-build-agents" in names(
        ada, '/servicePrincipals?$search="displayName:mibuild"&$select=displayName'
    )


def test_user_principal_name_matches_from_its_start(ada: GraphCaller) -> None:
    from_start = names(ada, '/users?$search="userPrincipalName:LEE.LEAD@"&$select=displayName')
    inside = names(ada, '/users?$search="userPrincipalName:lead@contoso"&$select=displayName')

    assert from_start == ["Lee Lead"]
    assert inside == []


def test_a_guest_is_found_by_the_start_of_its_ext_user_principal_name(ada: GraphCaller) -> None:
    guest = ada.get(
        "/users?$filter=userType eq 'Guest'&$top=1&$select=displayName,userPrincipalName"
    ).json()["value"][0]
    prefix = guest["userPrincipalName"].split("#EXT#")[0]

    found = names(ada, f'/users?$search="userPrincipalName:{prefix}%23EXT%23"&$select=displayName')

    assert guest["displayName"] in found


def test_app_id_matches_from_its_start(ada: GraphCaller) -> None:
    assert names(ada, '/servicePrincipals?$search="appId:04B07795-8ddb"&$select=displayName') == [
        "Microsoft Azure CLI"
    ]
    assert names(ada, '/servicePrincipals?$search="appId:8ddb"&$select=displayName') == []


def test_clauses_combine_with_and_or_and_parentheses(ada: GraphCaller) -> None:
    found = names(
        ada, f'{AGENTS}?$search=("displayName:hr" OR "displayName:ticket") AND "displayName:agent"'
    )
    precedence = names(
        ada, f'{AGENTS}?$search="displayName:ticket" OR "displayName:hr" AND "displayName:policy"'
    )

    assert found == [
        "HR Onboarding Agent", "HR Benefits Agent", "HR Policy Q&A Agent", "Ticket Routing Agent",
    ]  # fmt: skip
    assert precedence == ["HR Policy Q&A Agent", "Ticket Routing Agent"]


def test_search_with_filter_count_top_and_orderby_on_a_cast(ada: GraphCaller) -> None:
    path = (
        f"{AGENTS}?$search=\"displayName:agent\"&$filter=startsWith(displayName,'p')"
        "&$orderby=displayName desc&$top=1&$count=true&$select=displayName"
    )

    body = ada.get(path, headers=ADVANCED).json()

    assert body["@odata.count"] == 3
    assert [a["displayName"] for a in body["value"]] == ["Proposal Drafting Agent"]
    assert "$search=" in body["@odata.nextLink"]


def test_search_with_orderby_needs_count(ada: GraphCaller) -> None:
    response = ada.get(
        f'{AGENTS}?$search="displayName:agent"&$orderby=displayName', headers=ADVANCED
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == "Sorting not supported for current query."


def test_search_on_the_count_segment(ada: GraphCaller) -> None:
    response = ada.get(
        '/users/microsoft.graph.agentUser/$count?$search="displayName:invoice"', headers=ADVANCED
    )

    assert response.text == "1"


@pytest.mark.parametrize(
    "search",
    [
        '"displayName:hr" and "displayName:agent"',
        "displayName:hr",
        '"displayName:hr" AND',
        '("displayName:hr"',
    ],
)
def test_search_syntax_errors(ada: GraphCaller, search: str) -> None:
    response = ada.get(f"{AGENTS}?$search={search}", headers=ADVANCED)

    assert response.status_code == 400
    assert "Syntax error in $search" in error_of(response)["message"]


def test_search_on_a_property_that_cannot_be_searched(ada: GraphCaller) -> None:
    response = ada.get('/servicePrincipals?$search="tags:x"', headers=ADVANCED)

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Invalid $search clause 'tags:x': search one of displayName, appDisplayName, "
        'publisherName, appId as "property:value".'
    )
