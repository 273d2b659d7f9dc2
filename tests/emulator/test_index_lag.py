"""The filter index's lag: `$filter` on customSecurityAttributes trails writes, GET by id
does not (graph-api.md §11.4)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from emulator.harness import EmulatorError, EmulatorProcess
from tests.emulator.conftest import ADVANCED, SET_TYPE, GraphCaller

ALAIN = "alain.dubois@contoso.example"
DARA = "dara.okafor@contoso.example"
ON_DATE = "customSecurityAttributes/Engineering/ProjectDate eq '{}'"


def set_date(date: str | None) -> dict[str, Any]:
    return {
        "customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, "ProjectDate": date}}
    }


def found(ada: GraphCaller, date: str) -> dict[str, str | None]:
    """UPN -> ProjectDate of the users a filter on `date` finds, as the filter shows them."""
    query = f"$count=true&$select=userPrincipalName,customSecurityAttributes&$filter={ON_DATE.format(date)}"
    body = ada.get(f"/users?{query}", headers=ADVANCED).json()
    assert body["@odata.count"] == len(body["value"])
    return {
        user["userPrincipalName"]: (user["customSecurityAttributes"] or {})
        .get("Engineering", {})
        .get("ProjectDate")
        for user in body["value"]
    }


def counted(ada: GraphCaller, date: str) -> int:
    query = f"$count=true&$filter={ON_DATE.format(date)}"
    response = ada.get(f"/users/$count?{query}", headers=ADVANCED)
    assert response.status_code == 200, response.text
    return int(response.text)


def project_date(ada: GraphCaller, upn: str) -> str | None:
    values = ada.user_csa(upn)
    return values["Engineering"].get("ProjectDate") if values else None


def test_without_lag_filters_see_writes_at_once(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))

    assert found(ada, "2031-01-01") == {ALAIN: "2031-01-01"}
    assert emu.index() == {"lag_seconds": 0.0, "pending_writes": 0}


def test_filters_trail_writes_while_get_by_id_is_live(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_index_lag(30)
    assert found(ada, "2031-01-01") == {}  # cached before the write: must not be reused wrongly

    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))
    ada.patch(f"/users/{DARA}", set_date("2031-01-01"))

    assert project_date(ada, ALAIN) == "2031-01-01"
    assert found(ada, "2031-01-01") == {}
    assert counted(ada, "2031-01-01") == 0
    assert found(ada, "2023-04-12") == {DARA: "2023-04-12"}  # the old value, as it was
    assert emu.index() == {"lag_seconds": 30.0, "pending_writes": 2}

    emu.advance_clock(30)

    assert found(ada, "2031-01-01") == {ALAIN: "2031-01-01", DARA: "2031-01-01"}
    assert counted(ada, "2031-01-01") == 2
    assert found(ada, "2023-04-12") == {}
    assert emu.index()["pending_writes"] == 0


def test_each_object_is_seen_as_it_was_lag_seconds_ago(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_index_lag(30)
    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))
    emu.advance_clock(20)
    ada.patch(f"/users/{ALAIN}", set_date("2032-02-02"))
    ada.patch(f"/users/{ALAIN}", set_date(None))

    emu.advance_clock(10)  # the first write is 30 s old, the others 10 s

    assert found(ada, "2031-01-01") == {ALAIN: "2031-01-01"}
    assert found(ada, "2032-02-02") == {}
    assert project_date(ada, ALAIN) is None
    emu.advance_clock(20)
    assert found(ada, "2031-01-01") == {}


def test_other_queries_read_the_live_state(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_index_lag(30)
    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))

    by_name = ada.get(
        "/users?$filter=displayName eq 'Alain Dubois'&$select=customSecurityAttributes"
    ).json()["value"]
    batch = ada.post(
        "/$batch",
        {
            "requests": [
                {
                    "id": "1",
                    "method": "GET",
                    "url": f"/users/{ALAIN}?$select=customSecurityAttributes",
                }
            ]
        },
    ).json()["responses"][0]["body"]

    assert by_name[0]["customSecurityAttributes"]["Engineering"]["ProjectDate"] == "2031-01-01"
    assert batch["customSecurityAttributes"]["Engineering"]["ProjectDate"] == "2031-01-01"


def test_reset_removes_the_lag_and_what_it_held(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_index_lag(30)
    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))

    emu.reset()

    assert emu.index() == {"lag_seconds": 0.0, "pending_writes": 0}
    ada.patch(f"/users/{ALAIN}", set_date("2031-01-01"))
    assert found(ada, "2031-01-01") == {ALAIN: "2031-01-01"}


@pytest.mark.parametrize("value", [-1, "5", True, None])
def test_invalid_lag(emu: EmulatorProcess, value: object) -> None:
    with pytest.raises(EmulatorError, match="lag_seconds"):
        emu.set_index_lag(value)  # type: ignore[arg-type]


def test_a_large_tenant_stays_fast_with_writes_in_the_lag(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.reset("large:50000")
    emu.set_index_lag(60)
    users = ada.get("/users?$top=200&$select=id").json()["value"]
    body = {
        "requests": [
            {"id": str(i), "method": "PATCH", "url": f"/users/{u['id']}", "body": set_date("2031-01-01"),
             "headers": {"Content-Type": "application/json"}}
            for i, u in enumerate(users[:20])
        ]
    }  # fmt: skip
    for _ in range(5):
        ada.post("/$batch", body)
    filtered = "/users?$count=true&$top=100&$select=id&$filter=" + ON_DATE.format("2031-01-01")

    started = time.perf_counter()
    lagged = ada.get(filtered, headers=ADVANCED).json()
    lagged_ms = (time.perf_counter() - started) * 1000
    emu.advance_clock(60)
    live = ada.get(filtered, headers=ADVANCED).json()
    emu.reset()

    assert (lagged["@odata.count"], live["@odata.count"]) == (0, 20)
    assert emu.index()["pending_writes"] == 0
    assert lagged_ms < 1000, f"a lagged filter over 50,000 users took {lagged_ms:.0f} ms"
