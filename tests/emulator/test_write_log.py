"""The write log: every Graph write that reached a handler, in order, for checking that a
bulk client lost nothing and wrote nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests

from emulator.harness import EmulatorError, EmulatorProcess
from emulator.tenant import demo
from tests.emulator.conftest import SET_TYPE, GraphCaller, user_id

JSON = {"Content-Type": "application/json"}
ALAIN = "alain.dubois@contoso.example"


def set_code(code: str) -> dict[str, Any]:
    return {"customSecurityAttributes": {"Finance": {"@odata.type": SET_TYPE, "CostCode": code}}}


def alain_id(ada: GraphCaller) -> str:
    return ada.get(f"/users/{ALAIN}?$select=id").json()["id"]


def test_a_write_and_what_it_records(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.get("/me")
    headers = {"client-request-id": "job-7-item-1", "x-ms-throttle-priority": "Low"}

    ada.patch(f"/users/{ALAIN}", set_code("A1"), headers=headers)

    [write] = emu.writes()
    assert set(write) == {
        "seq", "time", "method", "version", "path", "target_id", "status", "handler_status",
        "client_request_id", "request_id", "priority", "app_id", "in_batch",
    }  # fmt: skip
    assert write["method"] == "PATCH"
    assert (write["version"], write["path"]) == ("v1.0", f"/users/{ALAIN}")
    assert write["target_id"] == alain_id(ada)  # the object id, though addressed by UPN
    assert (write["status"], write["handler_status"]) == (204, 204)
    assert (write["client_request_id"], write["priority"]) == ("job-7-item-1", "Low")
    assert (write["app_id"], write["in_batch"]) == (demo.AZURE_CLI_CLIENT_ID, False)
    assert dt.datetime.fromisoformat(write["time"]).tzinfo is not None
    request = next(e for e in emu.requests_log() if e["method"] == "PATCH")
    assert write["request_id"] == request["request_id"]
    assert "CostCode" not in str(write)
    assert ada.token not in str(write)


def test_targets_of_every_kind_of_write(emu: EmulatorProcess, ada: GraphCaller) -> None:
    definitions = "/directory/customSecurityAttributeDefinitions"
    ada.post("/directory/attributeSets", {"id": "Legal"})
    ada.patch("/directory/attributeSets/legal", {"description": "Law"})
    ada.post(f"{definitions}/Engineering_Project/allowedValues", {"id": "Delta", "isActive": True})
    ada.patch(f"{definitions}/Engineering_Project/allowedValues/Delta", {"isActive": False})
    ada.patch("/me", set_code("Mine"))
    sp = ada.get("/servicePrincipals?$top=1&$select=id,appId").json()["value"][0]
    ada.patch(f"/servicePrincipals(appId='{sp['appId']}')", set_code("App"))
    ada.post("/directory/attributeSets", {"id": "Bad name!"})

    targets = [(w["method"], w["target_id"], w["status"]) for w in emu.writes()]

    assert targets == [
        ("POST", "Legal", 201),
        ("PATCH", "legal", 204),
        ("POST", "Delta", 201),
        ("PATCH", "Delta", 204),
        ("PATCH", user_id("ada"), 204),
        ("PATCH", sp["id"], 204),
        ("POST", None, 400),  # refused writes reached a handler too
    ]


def test_inner_batch_writes_are_logged_with_their_own_client_request_id(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    body = {
        "requests": [
            {"id": "1", "method": "PATCH", "url": f"/users/{ALAIN}", "body": set_code("B1"),
             "headers": {**JSON, "client-request-id": "item-1"}},
            {"id": "2", "method": "GET", "url": "/me"},
            {"id": "3", "method": "PATCH", "url": "/users/nobody@contoso.example",
             "body": set_code("B3"), "headers": JSON},
        ]
    }  # fmt: skip

    ada.post("/$batch", body, headers={"client-request-id": "batch-1"})

    writes = emu.writes()
    assert [(w["client_request_id"], w["status"], w["in_batch"]) for w in writes] == [
        ("item-1", 204, True),
        ("batch-1", 404, True),
    ]
    assert writes[1]["target_id"] == "nobody@contoso.example"  # no such object: as addressed


def test_throttled_writes_and_faults_before_the_handler_are_not_logged(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=2, window_seconds=100_000, low_reserve=0, normal_reserve=0)
    emu.set_faults(rules=[{"method": "PATCH", "path": "^/users/", "status": 503}])

    answers = [ada.patch(f"/users/{ALAIN}", set_code(c)).status_code for c in ("X", "Y", "Z")]

    assert answers == [503, 204, 429]
    assert [(w["status"], w["handler_status"]) for w in emu.writes()] == [(204, 204)]


def test_a_fault_after_the_handler_is_logged_with_what_was_answered(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_faults(
        rules=[
            {"method": "PATCH", "path": "^/users/", "status": 504, "after": True},
            {"method": "PATCH", "path": "^/users/", "status": "drop", "after": True},
        ]
    )

    assert ada.patch(f"/users/{ALAIN}", set_code("Late")).status_code == 504
    with pytest.raises(requests.ConnectionError):
        ada.patch(f"/users/{ALAIN}", set_code("Lost"))

    assert [(w["status"], w["handler_status"]) for w in emu.writes()] == [(504, 204), (None, 204)]
    assert (
        ada.user_csa(ALAIN)["Finance"]["CostCode"] == "Lost"
    )  # the answer was lost, not the write


def test_a_dropped_batch_leaves_its_writes_unanswered(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_faults(rules=[{"method": "GET", "path": "^/me$", "status": "drop"}])
    body = {
        "requests": [
            {"id": "1", "method": "PATCH", "url": f"/users/{ALAIN}", "body": set_code("D1"), "headers": JSON},
            {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]},
        ]
    }  # fmt: skip

    with pytest.raises(requests.ConnectionError):
        ada.post("/$batch", body)

    assert [(w["status"], w["handler_status"]) for w in emu.writes()] == [(None, 204)]


def test_pages_since_and_reset(emu: EmulatorProcess, ada: GraphCaller) -> None:
    body = {
        "requests": [
            {"id": str(i), "method": "PATCH", "url": f"/users/{ALAIN}", "body": set_code(f"P{i}"),
             "headers": JSON}
            for i in range(20)
        ]
    }  # fmt: skip
    ada.post("/$batch", body)
    ada.post("/$batch", body)

    first = emu.writes_page(limit=15)
    second = emu.writes_page(since=first["last_seq"], limit=15)
    everything = emu.writes()

    assert (len(first["writes"]), first["more"], first["total"]) == (15, True, 40)
    assert (len(second["writes"]), second["more"]) == (15, True)
    assert [w["seq"] for w in everything] == list(
        range(everything[0]["seq"], everything[0]["seq"] + 40)
    )
    assert first["writes"] + second["writes"] == everything[:30]
    assert emu.writes(since=everything[-2]["seq"]) == everything[-1:]
    assert emu.state()["writes"] == 40
    emu.reset()
    assert emu.writes() == []
    ada.patch(f"/users/{ALAIN}", set_code("After"))
    assert emu.writes()[0]["seq"] > everything[-1]["seq"]


def test_bad_write_log_queries(emu: EmulatorProcess) -> None:
    response = emu.session.get(f"{emu.control_url}/writes?since=-1", timeout=10)
    assert response.status_code == 400
    assert "since must be a whole number" in response.json()["error"]
    with pytest.raises(EmulatorError, match="limit must be between"):
        emu.writes_page(limit=0)
