"""Graph's write quota per app and tenant, its headers, priority, and the clock."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from emulator.harness import EmulatorError, EmulatorProcess
from emulator.tenant import demo
from tests.emulator.conftest import SET_TYPE, GraphCaller, error_of

JSON = {"Content-Type": "application/json"}
ALAIN = "alain.dubois@contoso.example"
SLOW = 100_000  # window_seconds: refill is negligible while a test runs
NO_RESERVES = {"low_reserve": 0, "normal_reserve": 0}


def set_code(code: str) -> dict[str, Any]:
    return {"customSecurityAttributes": {"Finance": {"@odata.type": SET_TYPE, "CostCode": code}}}


def patch_item(item_id: str, code: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "method": "PATCH",
        "url": f"/users/{ALAIN}",
        "headers": {**JSON, **extra.pop("headers", {})},
        "body": set_code(code),
        **extra,
    }


def by_id(response: requests.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["responses"]}


def cost_code(ada: GraphCaller) -> str | None:
    values = ada.user_csa(ALAIN)
    return values["Finance"]["CostCode"] if values else None


def test_the_default_is_graphs_write_quota(emu: EmulatorProcess) -> None:
    assert emu.throttling() == {
        "write_quota": {
            "limit": 3000,
            "window_seconds": 150.0,
            "low_reserve": 0.1,
            "normal_reserve": 0.02,
        },
        "buckets": [],
    }
    assert emu.state()["throttling"]["write_quota"]["limit"] == 3000


def test_a_write_beyond_the_quota_is_throttled_and_changes_nothing(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=3, window_seconds=300, **NO_RESERVES)
    statuses = [ada.patch(f"/users/{ALAIN}", set_code(f"C{i}")).status_code for i in range(3)]

    throttled = ada.patch(f"/users/{ALAIN}", set_code("TooMany"))

    assert statuses == [204, 204, 204]
    assert throttled.status_code == 429
    error = error_of(throttled)
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert throttled.headers["x-ms-throttle-scope"] == (
        f"Tenant_Application/ReadWrite/{demo.AZURE_CLI_CLIENT_ID}/{demo.TENANT_ID}"
    )
    assert throttled.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert 95 <= int(throttled.headers["Retry-After"]) <= 100  # one write per 100 s
    assert "x-ms-throttle-limit-percentage" not in throttled.headers
    assert cost_code(ada) == "C2"  # reads are not writes: never throttled by this quota
    audits = ada.get("/auditLogs/customSecurityAttributeAudits", version="beta").json()["value"]
    assert "TooMany" not in str(audits)


def test_the_bucket_refills_by_the_clock(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_write_quota(limit=2, window_seconds=SLOW, **NO_RESERVES)
    for code in ("A", "B"):
        assert ada.patch(f"/users/{ALAIN}", set_code(code)).status_code == 204
    retry_after = int(ada.patch(f"/users/{ALAIN}", set_code("C")).headers["Retry-After"])

    emu.advance_clock(retry_after)

    assert ada.patch(f"/users/{ALAIN}", set_code("C")).status_code == 204
    assert ada.patch(f"/users/{ALAIN}", set_code("D")).status_code == 429
    assert emu.advance_clock(0)["offset_seconds"] >= retry_after


def test_limit_percentage_appears_from_80_percent(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_write_quota(limit=10, window_seconds=SLOW, **NO_RESERVES)

    headers = [
        ada.patch(f"/users/{ALAIN}", set_code(f"P{i}")).headers.get(
            "x-ms-throttle-limit-percentage"
        )
        for i in range(10)
    ]

    assert headers[:7] == [None] * 7
    assert headers[8:] == ["0.90", "1.00"]
    assert "x-ms-throttle-limit-percentage" not in ada.get("/me").headers
    assert emu.throttling()["buckets"] == [
        {
            "app_id": demo.AZURE_CLI_CLIENT_ID,
            "tenant_id": demo.TENANT_ID,
            "available": 0.0,
            "used_share": 1.0,
        }
    ]


def test_each_app_has_its_own_bucket(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_write_quota(limit=1, window_seconds=SLOW)
    portal_token = emu.password_token("ada.admin@contoso.example", client_id=demo.PORTAL_CLIENT_ID)
    assert ada.patch(f"/users/{ALAIN}", set_code("Cli")).status_code == 204
    assert ada.patch(f"/users/{ALAIN}", set_code("Cli2")).status_code == 429

    portal = emu.graph("PATCH", f"/users/{ALAIN}", token=portal_token, json=set_code("Portal"))

    assert portal.status_code == 204
    assert {b["app_id"] for b in emu.throttling()["buckets"]} == {
        demo.AZURE_CLI_CLIENT_ID,
        demo.PORTAL_CLIENT_ID,
    }


def test_every_write_method_counts(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_write_quota(limit=3, window_seconds=SLOW, **NO_RESERVES)

    answers = [
        ada.post("/directory/attributeSets", {"id": "Legal"}).status_code,
        ada.patch("/directory/attributeSets/Legal", {"description": "x" * 200}).status_code,
        ada.delete("/directory/attributeSets/Legal").status_code,
        ada.patch("/directory/attributeSets/Legal", {"description": "Law"}).status_code,
    ]

    assert answers == [201, 400, 405, 429]  # failed writes count too


def test_the_quota_can_be_turned_off_and_reset_restores_it(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=1, window_seconds=SLOW)
    ada.patch(f"/users/{ALAIN}", set_code("A"))

    assert emu.disable_write_quota() == {"write_quota": None, "buckets": []}
    assert [ada.patch(f"/users/{ALAIN}", set_code(c)).status_code for c in "BC"] == [204, 204]
    assert (
        "x-ms-throttle-limit-percentage" not in ada.patch(f"/users/{ALAIN}", set_code("D")).headers
    )

    emu.reset()

    assert emu.throttling()["write_quota"]["limit"] == 3000


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"write_quota": {"limit": 0}},
        {"write_quota": {"limit": 10, "window_seconds": -1}},
        {"write_quota": {"limit": 10, "colour": "red"}},
        {"write_quota": 5},
        {"write_quota": None, "other": 1},
    ],
)
def test_invalid_quota_settings(emu: EmulatorProcess, body: dict[str, Any]) -> None:
    response = emu.session.post(f"{emu.control_url}/throttling", json=body, timeout=10)

    assert response.status_code == 400
    assert emu.throttling()["write_quota"]["limit"] == 3000


def test_invalid_clock_advance(emu: EmulatorProcess) -> None:
    with pytest.raises(EmulatorError, match="advance_seconds"):
        emu.advance_clock(-1)


# -- $batch ------------------------------------------------------------------------------


def test_inner_writes_are_counted_and_throttled_one_by_one(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=2, window_seconds=SLOW, **NO_RESERVES)
    body = {
        "requests": [
            patch_item("1", "One"),
            {"id": "2", "method": "GET", "url": "/me"},
            patch_item("3", "Three"),
            patch_item("4", "Four"),
            patch_item("5", "Five", dependsOn=["4"]),
        ]
    }

    response = ada.post("/$batch", body)
    items = by_id(response)

    assert [items[i]["status"] for i in "12345"] == [204, 200, 204, 429, 424]
    throttled = items["4"]
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    assert 1 <= int(throttled["headers"]["Retry-After"]) <= SLOW
    assert throttled["headers"]["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert throttled["headers"]["x-ms-throttle-scope"].startswith("Tenant_Application/ReadWrite/")
    assert items["3"]["headers"]["x-ms-throttle-limit-percentage"] == "1.00"
    assert "x-ms-throttle-limit-percentage" not in items["1"]["headers"]
    assert response.headers["x-ms-throttle-limit-percentage"] == "1.00"
    assert "Retry-After" not in response.headers
    assert cost_code(ada) == "Three"


def test_the_batch_envelope_is_not_a_write(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_write_quota(limit=2, window_seconds=SLOW, **NO_RESERVES)

    first = by_id(ada.post("/$batch", {"requests": [patch_item("1", "A")]}))
    second = by_id(ada.post("/$batch", {"requests": [patch_item("1", "B")]}))

    assert (first["1"]["status"], second["1"]["status"]) == (204, 204)
    assert emu.throttling()["buckets"][0]["available"] == pytest.approx(0, abs=0.01)


# -- priority ----------------------------------------------------------------------------


def test_low_priority_is_throttled_first_and_high_last(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=50, window_seconds=SLOW, low_reserve=0.2, normal_reserve=0.06)

    def burst(priority: str) -> list[int]:
        body = {"requests": [patch_item(str(i), f"{priority}{i}") for i in range(20)]}
        response = ada.post("/$batch", body, headers={"x-ms-throttle-priority": priority})
        items = by_id(response)
        return [items[str(i)]["status"] for i in range(20)]

    low = burst("Low") + burst("Low") + burst("Low")
    normal = burst("Normal")
    high = burst("High")

    assert (low.count(204), normal.count(204), high.count(204)) == (40, 7, 3)
    assert set(low[40:] + normal[7:] + high[3:]) == {429}


def test_an_interactive_write_gets_through_a_low_bulk_job(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_write_quota(limit=20, window_seconds=SLOW)  # Low leaves 2 writes, Normal 0.4
    body = {"requests": [patch_item(str(i), f"Bulk{i}") for i in range(20)]}
    bulk = by_id(ada.post("/$batch", body, headers={"x-ms-throttle-priority": "Low"}))

    def click(code: str, priority: str) -> int:
        headers = {"x-ms-throttle-priority": priority}
        return ada.patch(f"/users/{ALAIN}", set_code(code), headers=headers).status_code

    assert sum(item["status"] == 204 for item in bulk.values()) == 18
    assert bulk["19"]["status"] == 429
    assert [click("Normal", "Normal"), click("High", "High")] == [204, 204]
    assert [click("Normal2", "Normal"), click("High2", "High")] == [429, 429]
    assert cost_code(ada) == "High"


def test_priority_is_recorded_in_the_request_log(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.get("/me")
    ada.get("/me", headers={"x-ms-throttle-priority": "high"})
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/me"},
            {
                "id": "2",
                "method": "GET",
                "url": "/me",
                "headers": {"x-ms-throttle-priority": "High"},
            },
        ]
    }
    ada.post("/$batch", body, headers={"x-ms-throttle-priority": "Low"})

    priorities = [(e["path"], e["in_batch"], e["priority"]) for e in emu.requests_log()]

    assert priorities == [
        ("/me", False, "Normal"),
        ("/me", False, "High"),
        ("/me", True, "Low"),
        ("/me", True, "High"),
        ("/$batch", False, "Low"),
    ]
