"""Rules for attribute sets, definitions and allowed values (graph-api.md §1 and §3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from tests.emulator.conftest import GraphCaller, error_of

DEFINITIONS = "/directory/customSecurityAttributeDefinitions"


def definition(**overrides: Any) -> dict[str, Any]:
    body = {
        "attributeSet": "Engineering",
        "name": "Widget",
        "description": "A test attribute",
        "type": "String",
        "isCollection": False,
        "isSearchable": True,
        "status": "Available",
        "usePreDefinedValuesOnly": False,
    }
    return {**body, **overrides}


def batch_of(requests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"requests": [{"id": str(i), **r} for i, r in enumerate(requests, start=1)]}


def post_many(ada: GraphCaller, url: str, bodies: list[dict[str, Any]]) -> None:
    """Create many objects quickly, 20 per $batch."""
    headers = {"Content-Type": "application/json"}
    for start in range(0, len(bodies), 20):
        chunk = [
            {"method": "POST", "url": url, "headers": headers, "body": b}
            for b in bodies[start : start + 20]
        ]
        response = ada.post("/$batch", batch_of(chunk))
        assert {item["status"] for item in response.json()["responses"]} == {201}


def message_of(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    return error_of(response)["message"]


# -- attribute sets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Has Space", "contains a space"),
        ("Under_score", "contains '_'"),
        ("dash-name", "contains '-'"),
        ("1stSet", "cannot start with a number"),
        ("A" * 33, "limited to 32 characters"),
        ("", "is required"),
    ],
)
def test_set_names_are_checked(ada: GraphCaller, name: str, fragment: str) -> None:
    response = ada.post("/directory/attributeSets", {"id": name})

    assert fragment in message_of(response)


def test_set_names_allow_unicode_letters(ada: GraphCaller) -> None:
    assert ada.post("/directory/attributeSets", {"id": "Développement"}).status_code == 201


@pytest.mark.parametrize("name", ["日本語", "Łódź", "\U0001d518", "Développement"])
def test_names_beyond_latin_1_get_a_percent_encoded_location(ada: GraphCaller, name: str) -> None:
    created = ada.post("/directory/attributeSets", {"id": name})

    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    assert location.isascii()
    assert unquote(location).endswith(f"/directory/attributeSets('{name}')")
    attribute = ada.post(DEFINITIONS, definition(attributeSet=name, name=name))
    assert attribute.status_code == 201, attribute.text
    assert unquote(attribute.headers["Location"]).endswith(
        f"/customSecurityAttributeDefinitions('{name}_{name}')"
    )
    value = ada.post(f"{DEFINITIONS}/{name}_{name}/allowedValues", {"id": name, "isActive": True})
    assert value.status_code == 201, value.text
    assert ada.get(f"{DEFINITIONS}/{name}_{name}/allowedValues/{name}").json()["id"] == name


def test_set_names_are_unique_without_regard_to_case(ada: GraphCaller) -> None:
    response = ada.post("/directory/attributeSets", {"id": "engineering"})

    assert message_of(response) == "An attribute set named 'Engineering' already exists."


def test_set_lookup_ignores_case_and_keeps_the_written_case(ada: GraphCaller) -> None:
    assert ada.get("/directory/attributeSets/ENGINEERING").json()["id"] == "Engineering"


def test_set_description_limit(ada: GraphCaller) -> None:
    response = ada.post("/directory/attributeSets", {"id": "Long", "description": "x" * 129})

    assert "limit is 128" in message_of(response)
    assert (
        ada.post("/directory/attributeSets", {"id": "Long", "description": "é" * 128}).status_code
        == 201
    )


@pytest.mark.parametrize("value", [0, 501, "10", True])
def test_max_attributes_per_set_range(ada: GraphCaller, value: object) -> None:
    response = ada.post("/directory/attributeSets", {"id": "Capped", "maxAttributesPerSet": value})

    assert "from 1 to 500" in message_of(response)


def test_max_attributes_cannot_drop_below_active_attributes(ada: GraphCaller) -> None:
    response = ada.patch("/directory/attributeSets/Engineering", {"maxAttributesPerSet": 3})

    assert "already has 6 active attributes" in message_of(response)


def test_set_id_is_immutable(ada: GraphCaller) -> None:
    response = ada.patch("/directory/attributeSets/Engineering", {"id": "Eng"})

    assert "read-only" in message_of(response)


def test_unknown_set_property(ada: GraphCaller) -> None:
    response = ada.post("/directory/attributeSets", {"id": "Extra", "color": "blue"})

    assert message_of(response).startswith(
        "The property 'color' does not exist on type 'microsoft.graph.attributeSet'"
    )


def test_unknown_set_is_404(ada: GraphCaller) -> None:
    response = ada.get("/directory/attributeSets/Nope")

    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"


def test_tenant_holds_at_most_500_sets(ada: GraphCaller) -> None:
    # The seed has 6 sets.
    post_many(ada, "/directory/attributeSets", [{"id": f"Bulk{i}"} for i in range(494)])

    response = ada.post("/directory/attributeSets", {"id": "OneTooMany"})

    assert "500 attribute sets" in message_of(response)


@pytest.mark.parametrize(
    "path",
    [
        "/directory/attributeSets/Engineering",
        f"{DEFINITIONS}/Engineering_Project",
        f"{DEFINITIONS}/Engineering_Project/allowedValues/Alpine",
    ],
)
def test_nothing_can_be_deleted(ada: GraphCaller, path: str) -> None:
    response = ada.delete(path)

    assert response.status_code == 405
    error = error_of(response)
    assert error["code"] == "Request_BadRequest"
    assert "cannot be deleted" in error["message"]
    assert ada.get(path).status_code == 200


# -- definitions -------------------------------------------------------------------------


def test_definition_id_is_generated(ada: GraphCaller) -> None:
    response = ada.post(DEFINITIONS, {**definition(), "id": "Engineering_Widget"})

    assert "cannot be set" in message_of(response)


@pytest.mark.parametrize(
    "missing",
    [
        "attributeSet",
        "name",
        "type",
        "isCollection",
        "isSearchable",
        "status",
        "usePreDefinedValuesOnly",
    ],
)
def test_definition_required_properties(ada: GraphCaller, missing: str) -> None:
    body = definition()
    del body[missing]

    assert f"'{missing}' is required" in message_of(ada.post(DEFINITIONS, body))


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"name": "Bad Name"}, "contains a space"),
        ({"name": "x" * 33}, "limited to 32 characters"),
        ({"type": "Date"}, "must be one of String, Integer, Boolean"),
        ({"status": "Active"}, "'Available' or 'Deprecated'"),
        ({"attributeSet": "Nowhere"}, "attribute set 'Nowhere' does not exist"),
        (
            {"name": "project"},
            "attribute named 'Project' already exists in attribute set 'Engineering'",
        ),
        ({"type": "Boolean", "isCollection": True}, "cannot be multi-valued"),
        ({"type": "Boolean", "usePreDefinedValuesOnly": True}, "cannot use predefined values"),
        ({"description": "d" * 129}, "limit is 128"),
        ({"isSearchable": "yes"}, "'isSearchable' is required and must be true or false"),
    ],
)
def test_definition_rules(ada: GraphCaller, overrides: dict[str, Any], fragment: str) -> None:
    assert fragment in message_of(ada.post(DEFINITIONS, definition(**overrides)))


def test_boolean_definition_cannot_have_allowed_values(ada: GraphCaller) -> None:
    body = definition(type="Boolean", allowedValues=[{"id": "true", "isActive": True}])

    assert "cannot have predefined values" in message_of(ada.post(DEFINITIONS, body))


def test_integer_allowed_values_must_be_whole_numbers(ada: GraphCaller) -> None:
    body = definition(type="Integer", allowedValues=[{"id": "ten", "isActive": True}])

    assert "not valid for Integer attribute" in message_of(ada.post(DEFINITIONS, body))


def test_set_limit_on_attributes(ada: GraphCaller) -> None:
    ada.patch("/directory/attributeSets/Security", {"maxAttributesPerSet": 3})

    response = ada.post(DEFINITIONS, definition(attributeSet="Security"))

    assert "its maximum (maxAttributesPerSet = 3)" in message_of(response)


def test_deprecated_definitions_do_not_count_toward_the_set_limit(ada: GraphCaller) -> None:
    ada.patch("/directory/attributeSets/Security", {"maxAttributesPerSet": 3})
    ada.patch(f"{DEFINITIONS}/Security_RiskScore", {"status": "Deprecated"})

    assert ada.post(DEFINITIONS, definition(attributeSet="Security")).status_code == 201
    response = ada.patch(f"{DEFINITIONS}/Security_RiskScore", {"status": "Available"})
    assert "its maximum" in message_of(response)


def test_tenant_holds_at_most_500_active_definitions(ada: GraphCaller) -> None:
    # The seed has 18 active definitions.
    bodies = [definition(attributeSet="Marketing", name=f"Bulk{i}") for i in range(482)]
    post_many(ada, DEFINITIONS, bodies)

    full = ada.post(DEFINITIONS, definition(attributeSet="Finance", name="OneTooMany"))
    assert "500 active attributes" in message_of(full)
    deprecated = ada.post(
        DEFINITIONS, definition(attributeSet="Finance", name="Old", status="Deprecated")
    )
    assert deprecated.status_code == 201
    reactivate = ada.patch(f"{DEFINITIONS}/Engineering_LegacyTeam", {"status": "Available"})
    assert "500 active attributes" in message_of(reactivate)


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("type", "Integer"),
        ("isCollection", False),
        ("isSearchable", False),
        ("name", "Renamed"),
        ("attributeSet", "Marketing"),
    ],
)
def test_definition_immutable_properties(ada: GraphCaller, prop: str, value: object) -> None:
    response = ada.patch(f"{DEFINITIONS}/Engineering_Project", {prop: value})

    assert message_of(response) == (
        f"Property '{prop}' of 'microsoft.graph.customSecurityAttributeDefinition' is read-only and "
        "cannot be changed."
    )


def test_predefined_only_goes_from_true_to_false_only(ada: GraphCaller) -> None:
    path = f"{DEFINITIONS}/Engineering_Project"

    assert ada.patch(path, {"usePreDefinedValuesOnly": False}).status_code == 204
    response = ada.patch(path, {"usePreDefinedValuesOnly": True})
    assert "from true to false only" in message_of(response)


def test_definition_description_can_change(ada: GraphCaller) -> None:
    path = f"{DEFINITIONS}/Engineering_Project"

    assert ada.patch(path, {"description": "Projects, renamed"}).status_code == 204
    assert ada.get(path).json()["description"] == "Projects, renamed"


def test_definition_ids_match_without_regard_to_case(ada: GraphCaller) -> None:
    assert ada.get(f"{DEFINITIONS}/engineering_project").json()["id"] == "Engineering_Project"


def test_definition_filter_supports_only_eq_and(ada: GraphCaller) -> None:
    response = ada.get(f"{DEFINITIONS}?$filter=name eq 'Project' or name eq 'ProjectDate'")

    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_UnsupportedQuery"


def test_definition_filter_on_booleans(ada: GraphCaller) -> None:
    body = ada.get(f"{DEFINITIONS}?$filter=isSearchable eq false").json()

    assert {d["id"] for d in body["value"]} == {"Marketing_Campaign", "Security_RiskScore"}


# -- allowed values ----------------------------------------------------------------------


def test_delta_needs_the_odata_version_header(ada: GraphCaller) -> None:
    response = ada.patch(
        f"{DEFINITIONS}/Engineering_Project",
        {"allowedValues@delta": [{"id": "New", "isActive": True}]},
    )

    assert "OData-Version: 4.01" in message_of(response)


def test_delta_cannot_remove_values(ada: GraphCaller) -> None:
    response = ada.patch(
        f"{DEFINITIONS}/Engineering_Project",
        {"allowedValues@delta": [{"id": "Baker", "@removed": {"reason": "deleted"}}]},
        headers={"OData-Version": "4.01"},
    )

    assert "cannot be deleted" in message_of(response)


def test_delta_posted_to_the_collection_fails_as_observed(ada: GraphCaller) -> None:
    response = ada.post(
        f"{DEFINITIONS}/Engineering_Project/allowedValues",
        {"allowedValues@delta": [{"id": "New", "isActive": True}]},
    )

    assert response.status_code == 500
    assert error_of(response)["code"] == "Service_InternalServerError"


@pytest.mark.parametrize(
    ("value_id", "fragment"),
    [
        ("A/B", "contains '/'"),
        ("50%", "contains '%'"),
        ("v" * 65, "limited to 64 characters"),
        ("Alpine", "already has"),
    ],
)
def test_allowed_value_rules(ada: GraphCaller, value_id: str, fragment: str) -> None:
    response = ada.post(
        f"{DEFINITIONS}/Engineering_Project/allowedValues", {"id": value_id, "isActive": True}
    )

    assert fragment in message_of(response)


def test_allowed_value_needs_is_active(ada: GraphCaller) -> None:
    response = ada.post(f"{DEFINITIONS}/Engineering_Project/allowedValues", {"id": "Olympus"})

    assert "'isActive'" in message_of(response)


def test_allowed_values_with_spaces_are_addressable(ada: GraphCaller) -> None:
    path = f"{DEFINITIONS}/Engineering_Datacenter/allowedValues"

    assert ada.post(path, {"id": "West Europe", "isActive": True}).status_code == 201
    assert ada.get(f"{path}/West%20Europe").json()["id"] == "West Europe"


def test_at_most_100_allowed_values(ada: GraphCaller) -> None:
    delta = [{"id": f"V{i}", "isActive": True} for i in range(96)]
    path = f"{DEFINITIONS}/Engineering_Project"

    assert (
        ada.patch(
            path, {"allowedValues@delta": delta}, headers={"OData-Version": "4.01"}
        ).status_code
        == 204
    )
    response = ada.post(f"{path}/allowedValues", {"id": "OneTooMany", "isActive": True})
    assert "more than 100 predefined values" in message_of(response)


def test_allowed_value_id_is_immutable(ada: GraphCaller) -> None:
    response = ada.patch(f"{DEFINITIONS}/Engineering_Project/allowedValues/Alpine", {"id": "Alps"})

    assert "read-only" in message_of(response)


def test_unknown_allowed_value_is_404(ada: GraphCaller) -> None:
    response = ada.get(f"{DEFINITIONS}/Engineering_Project/allowedValues/Nope")

    assert response.status_code == 404


def test_at_most_100_allowed_values_inline_on_create(ada: GraphCaller) -> None:
    values = [{"id": f"V{i}", "isActive": True} for i in range(101)]

    response = ada.post(DEFINITIONS, definition(usePreDefinedValuesOnly=True, allowedValues=values))

    assert "more than 100 predefined values" in message_of(response)
    assert ada.post(DEFINITIONS, definition(allowedValues=values[:100])).status_code == 201
