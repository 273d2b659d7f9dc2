"""How emptiness reads (graph-api.md §11.3): the `empty_values` switch chooses between a
removed set disappearing and an object without values reading `null`, or an emptied set
reading as an object holding only its `@odata.type` and an object without values reading
`{}`. No access always reads `null`."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.harness import EmulatorError, EmulatorProcess
from tests.emulator.conftest import SET_TYPE, GraphCaller

ALAIN = "alain.dubois@contoso.example"  # no values
DARA = "dara.okafor@contoso.example"  # only Engineering/ProjectDate
JOE = "joe.contoso@contoso.example"  # Engineering and Marketing
RESPONSE_SET_TYPE = "#microsoft.graph.customSecurityAttributeValue"


def remove_project_date(ada: GraphCaller, who: str) -> None:
    body = {
        "customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, "ProjectDate": None}}
    }
    assert ada.patch(f"/users/{who}", body).status_code == 204


def listed_csa(ada: GraphCaller, who: str) -> Any:
    body = ada.get(
        f"/users?$filter=userPrincipalName eq '{who}'&$select=id,customSecurityAttributes"
    ).json()
    (user,) = body["value"]
    return user["customSecurityAttributes"]


def test_by_default_an_emptied_set_disappears_and_nothing_reads_null(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    remove_project_date(ada, DARA)

    assert emu.state()["settings"]["empty_values"] == "null"
    assert ada.user_csa(DARA) is None
    assert ada.user_csa(ALAIN) is None
    assert listed_csa(ada, ALAIN) is None


def test_as_objects_nothing_assigned_reads_as_an_empty_object(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.configure(empty_values="{}")

    assert ada.user_csa(ALAIN) == {}
    assert listed_csa(ada, ALAIN) == {}


def test_as_objects_an_emptied_set_keeps_only_its_type(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.configure(empty_values="{}")

    remove_project_date(ada, DARA)

    assert ada.user_csa(DARA) == {"Engineering": {"@odata.type": RESPONSE_SET_TYPE}}
    assert listed_csa(ada, DARA) == {"Engineering": {"@odata.type": RESPONSE_SET_TYPE}}


def test_as_objects_other_sets_and_attributes_read_as_usual(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.configure(empty_values="{}")
    body = {
        "customSecurityAttributes": {"Marketing": {"@odata.type": SET_TYPE, "EmployeeId": None}}
    }

    assert ada.patch(f"/users/{JOE}", body).status_code == 204

    csa = ada.user_csa(JOE)
    assert csa["Marketing"] == {"@odata.type": RESPONSE_SET_TYPE}
    assert csa["Engineering"]["ProjectDate"] == "2022-10-01"


def test_the_switch_applies_to_what_is_already_stored(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    remove_project_date(ada, DARA)  # removed while the switch says "null"

    emu.configure(empty_values="{}")
    assert ada.user_csa(DARA) == {"Engineering": {"@odata.type": RESPONSE_SET_TYPE}}

    emu.configure(empty_values="null")
    assert ada.user_csa(DARA) is None


def test_an_emptied_set_takes_values_again(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.configure(empty_values="{}")
    remove_project_date(ada, DARA)
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": SET_TYPE, "ProjectDate": "2031-01-01"}
        }
    }

    assert ada.patch(f"/users/{DARA}", body).status_code == 204

    assert ada.user_csa(DARA) == {
        "Engineering": {"@odata.type": RESPONSE_SET_TYPE, "ProjectDate": "2031-01-01"}
    }


def test_as_objects_no_access_still_reads_null(emu: EmulatorProcess, graph_as) -> None:  # type: ignore[no-untyped-def]
    emu.configure(empty_values="{}")

    rey = graph_as("rey")  # a definition reader: no assignment role

    assert rey.user_csa(JOE) is None
    assert rey.user_csa(ALAIN) is None


def test_as_objects_a_set_scoped_reader_sees_an_empty_object_without_its_sets(
    emu: EmulatorProcess,
    graph_as,  # type: ignore[no-untyped-def]
) -> None:
    emu.configure(empty_values="{}")
    lee = graph_as("lee")  # Engineering only

    assert lee.user_csa("jana.horvat@contoso.example") == {}  # only Marketing values


def test_reset_goes_back_to_null(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.configure(empty_values="{}")

    emu.reset()

    assert emu.state()["settings"]["empty_values"] == "null"
    assert ada.user_csa(ALAIN) is None


@pytest.mark.parametrize("value", ["{ }", "empty", None, 0, True])
def test_only_two_values_are_accepted(emu: EmulatorProcess, value: Any) -> None:
    with pytest.raises(EmulatorError, match="empty_values must be"):
        emu.configure(empty_values=value)


def test_the_control_page_shows_the_switch(emu: EmulatorProcess) -> None:
    emu.configure(empty_values="{}")

    page = emu.session.get(f"{emu.control_url}/", timeout=10).text

    assert "<code>empty_values</code></th><td><code>{}</code>" in page
