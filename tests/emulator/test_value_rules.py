"""Rules for assigning custom security attribute values (graph-api.md §1.4 and §3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import SET_TYPE, GraphCaller, error_of

ALAIN = "alain.dubois@contoso.example"
JOE = "joe.contoso@contoso.example"
DEFINITIONS = "/directory/customSecurityAttributeDefinitions"


def assign(set_name: str, **attributes: Any) -> dict[str, Any]:
    return {"customSecurityAttributes": {set_name: {"@odata.type": SET_TYPE, **attributes}}}


def rejected(ada: GraphCaller, who: str, body: dict[str, Any]) -> str:
    response = ada.patch(f"/users/{who}", body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "Request_BadRequest"
    return error["message"]


@pytest.mark.parametrize(
    ("attributes", "fragment"),
    [
        ({"ProjectDate": 5}, "is a String: 5 is not a string"),
        ({"ProjectDate": ["2022-10-01"]}, "is single-valued"),
        ({"NumVendors": 4}, "send it with 'NumVendors@odata.type': '#Int32'"),
        ({"NumVendors@odata.type": "#Int32", "NumVendors": "4"}, "is not a whole number"),
        (
            {"NumVendors@odata.type": "#Int32", "NumVendors": 2**31},
            "outside the 32-bit integer range",
        ),
        ({"Project": ["Baker"]}, "send it with 'Project@odata.type': '#Collection(String)'"),
        ({"Project@odata.type": "#Collection(String)", "Project": "Baker"}, "is multi-valued"),
        (
            {"CostCenter@odata.type": "#Collection(String)", "CostCenter": [1001]},
            "#Collection(Int32)",
        ),
        ({"Certification": "true"}, "is Boolean: send true or false"),
        ({"ProjectDate": "x" * 65}, "65 characters long; values are limited to 64"),
        ({"ProjectDate": ""}, "cannot be set to an empty string"),
        (
            {"Datacenter@odata.type": "#Collection(String)", "Datacenter": ["A", "A"]},
            "lists 'A' more than once",
        ),
        ({"Widget": "x"}, "attribute set 'Engineering' has no attribute named 'Widget'"),
        ({"Project@odata.type": "#Collection(String)"}, "has no value next to it"),
    ],
)
def test_value_type_rules(ada: GraphCaller, attributes: dict[str, Any], fragment: str) -> None:
    assert fragment in rejected(ada, ALAIN, assign("Engineering", **attributes))


def test_unknown_attribute_set(ada: GraphCaller) -> None:
    message = rejected(ada, ALAIN, assign("Finances", CostCode="FIN-1"))

    assert message == "Invalid property 'Finances': there is no attribute set named 'Finances'."


def test_value_length_counts_characters_not_bytes(ada: GraphCaller) -> None:
    assert (
        ada.patch(f"/users/{ALAIN}", assign("Engineering", ProjectDate="é" * 64)).status_code == 204
    )


def test_predefined_only_rejects_other_values(ada: GraphCaller) -> None:
    body = assign(
        "Engineering", **{"Project@odata.type": "#Collection(String)", "Project": ["Everest"]}
    )

    message = rejected(ada, ALAIN, body)

    assert "'Everest' is not one of the predefined values of the attribute 'Project'" in message
    assert "Allowed values: Alpine, Baker, Cascade." in message


def test_predefined_values_are_case_sensitive(ada: GraphCaller) -> None:
    body = assign(
        "Engineering", **{"Project@odata.type": "#Collection(String)", "Project": ["baker"]}
    )

    assert "'baker' is not one of the predefined values" in rejected(ada, ALAIN, body)


def test_predefined_integer_values(ada: GraphCaller) -> None:
    ok = assign(
        "Engineering", **{"CostCenter@odata.type": "#Collection(Int32)", "CostCenter": [1002]}
    )
    bad = assign(
        "Engineering", **{"CostCenter@odata.type": "#Collection(Int32)", "CostCenter": [2000]}
    )

    assert ada.patch(f"/users/{ALAIN}", ok).status_code == 204
    assert "'2000' is not one of the predefined values" in rejected(ada, ALAIN, bad)


def test_free_values_allowed_when_predefined_values_are_only_suggestions(ada: GraphCaller) -> None:
    assert ada.patch(f"/users/{ALAIN}", assign("Finance", CostCode="FIN-999")).status_code == 204


def test_deactivated_value_cannot_be_assigned_to_more_objects(ada: GraphCaller) -> None:
    body = assign(
        "Engineering", **{"Project@odata.type": "#Collection(String)", "Project": ["Denali"]}
    )

    assert (
        "value 'Denali' of the attribute 'Project' of attribute set 'Engineering' is deactivated"
        in rejected(ada, ALAIN, body)
    )


def test_object_may_keep_a_value_that_was_deactivated(ada: GraphCaller) -> None:
    body = assign(
        "Engineering",
        **{"Project@odata.type": "#Collection(String)", "Project": ["Baker", "Cascade"]},
    )
    ada.patch(f"{DEFINITIONS}/Engineering_Project/allowedValues/Cascade", {"isActive": False})

    assert ada.patch(f"/users/{JOE}", body).status_code == 204
    assert "is deactivated" in rejected(ada, ALAIN, body)


def test_deactivated_definition_cannot_be_assigned_but_can_be_removed(ada: GraphCaller) -> None:
    ada.patch(f"{DEFINITIONS}/Engineering_ProjectDate", {"status": "Deprecated"})

    message = rejected(ada, ALAIN, assign("Engineering", ProjectDate="2024-01-01"))
    assert "is deactivated: its values can be removed but not assigned or changed" in message
    assert ada.user_csa(JOE)["Engineering"]["ProjectDate"] == "2022-10-01"  # still shown
    assert ada.patch(f"/users/{JOE}", assign("Engineering", ProjectDate=None)).status_code == 204
    assert "ProjectDate" not in ada.user_csa(JOE)["Engineering"]


def test_at_most_50_values_per_object(ada: GraphCaller) -> None:
    many = [f"DC{i}" for i in range(49)]
    body = assign(
        "Engineering", **{"Datacenter@odata.type": "#Collection(String)", "Datacenter": many}
    )

    assert ada.patch(f"/users/{ALAIN}", body).status_code == 204
    assert (
        ada.patch(f"/users/{ALAIN}", assign("Engineering", ProjectDate="2026-01-01")).status_code
        == 204
    )
    message = rejected(ada, ALAIN, assign("Marketing", EmployeeId="KX1"))
    assert "would have 51 custom security attribute values" in message
    assert "at most 50" in message


def test_patch_merges_per_attribute(ada: GraphCaller) -> None:
    body = assign("Engineering", **{"NumVendors@odata.type": "#Int32", "NumVendors": 9})

    assert ada.patch(f"/users/{JOE}", body).status_code == 204
    values = ada.user_csa(JOE)
    assert values["Engineering"]["NumVendors"] == 9
    assert values["Engineering"]["Project"] == ["Baker", "Cascade"]
    assert values["Marketing"]["EmployeeId"] == "QN26904"


def test_multi_valued_list_is_replaced(ada: GraphCaller) -> None:
    body = assign(
        "Engineering", **{"Project@odata.type": "#Collection(String)", "Project": ["Alpine"]}
    )

    ada.patch(f"/users/{JOE}", body)

    assert ada.user_csa(JOE)["Engineering"]["Project"] == ["Alpine"]


def test_removing_the_last_attribute_removes_the_set_then_the_property(ada: GraphCaller) -> None:
    dara = "dara.okafor@contoso.example"

    assert ada.patch(f"/users/{dara}", assign("Engineering", ProjectDate=None)).status_code == 204
    assert ada.user_csa(dara) is None


def test_a_failed_patch_changes_nothing(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2030-01-01"},
            "Marketing": {"@odata.type": SET_TYPE, "Nope": "x"},
        }
    }

    rejected(ada, JOE, body)

    assert ada.user_csa(JOE)["Engineering"]["ProjectDate"] == "2022-10-01"


def test_set_value_sent_as_a_string_is_silently_ignored(ada: GraphCaller) -> None:
    body = {"customSecurityAttributes": {"Engineering": '{"ProjectDate": "2030-01-01"}'}}

    assert ada.patch(f"/users/{JOE}", body).status_code == 204
    assert ada.user_csa(JOE)["Engineering"]["ProjectDate"] == "2022-10-01"


@pytest.mark.parametrize(
    "set_type",
    [
        "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
        "#microsoft.graph.customSecurityAttributeValue",
        None,
    ],
)
def test_set_type_annotation_forms(ada: GraphCaller, set_type: str | None) -> None:
    block: dict[str, Any] = {"ProjectDate": "2031-01-01"}
    if set_type:
        block["@odata.type"] = set_type

    assert (
        ada.patch(
            f"/users/{ALAIN}", {"customSecurityAttributes": {"Engineering": block}}
        ).status_code
        == 204
    )


def test_wrong_set_type_annotation(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": "#OdataType", "ProjectDate": "x"}
        }
    }

    assert "Invalid '@odata.type'" in rejected(ada, ALAIN, body)


def test_attribute_names_match_without_regard_to_case(ada: GraphCaller) -> None:
    body = {
        "customSecurityAttributes": {
            "engineering": {"@odata.type": SET_TYPE, "projectdate": "2032-01-01"}
        }
    }

    assert ada.patch(f"/users/{ALAIN}", body).status_code == 204
    assert ada.user_csa(ALAIN) == {
        "Engineering": {
            "@odata.type": "#microsoft.graph.customSecurityAttributeValue",
            "ProjectDate": "2032-01-01",
        }
    }


def test_patching_other_user_properties_is_forbidden(ada: GraphCaller) -> None:
    response = ada.patch(f"/users/{ALAIN}", {"jobTitle": "Boss"})

    assert response.status_code == 403
    assert error_of(response)["code"] == "Authorization_RequestDenied"


def test_invalid_json_body(ada: GraphCaller) -> None:
    response = ada.request(
        "PATCH", f"/users/{ALAIN}", data=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert "Unable to read JSON request payload" in error_of(response)["message"]


def test_values_on_guests(ada: GraphCaller) -> None:
    guests = ada.get("/users?$filter=userType eq 'Guest'&$top=1").json()["value"]
    guest_id = guests[0]["id"]

    assert (
        ada.patch(f"/users/{guest_id}", assign("Security", Clearance="Internal")).status_code == 204
    )
    assert ada.user_csa(guest_id)["Security"]["Clearance"] == "Internal"
