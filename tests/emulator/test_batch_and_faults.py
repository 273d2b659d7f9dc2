"""$batch, injected faults, the request log and Graph token checks."""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from emulator.harness import EmulatorError, EmulatorProcess
from tests.emulator.conftest import SET_TYPE, GraphCaller, error_of

JSON = {"Content-Type": "application/json"}
ALAIN = "alain.dubois@contoso.example"


def set_date(date: str) -> dict[str, Any]:
    return {
        "customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, "ProjectDate": date}}
    }


def by_id(response: requests.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["responses"]}


# -- $batch ------------------------------------------------------------------------------


def test_batch_runs_each_request(ada: GraphCaller) -> None:
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/directory/attributeSets/Engineering"},
            {
                "id": "2",
                "method": "PATCH",
                "url": f"/users/{ALAIN}",
                "headers": JSON,
                "body": set_date("2025-05-05"),
            },
            {"id": "3", "method": "GET", "url": "users/nobody@contoso.example"},
        ]
    }

    items = by_id(ada.post("/$batch", body))

    assert items["1"]["status"] == 200
    assert items["1"]["body"]["id"] == "Engineering"
    assert (items["2"]["status"], items["2"]["body"]) == (204, None)
    assert items["3"]["status"] == 404
    assert items["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert ada.user_csa(ALAIN)["Engineering"]["ProjectDate"] == "2025-05-05"


def test_batch_failed_dependency_gives_424(ada: GraphCaller) -> None:
    body = {
        "requests": [
            {"id": "1", "method": "PATCH", "url": f"/users/{ALAIN}", "headers": JSON, "body": set_date("x" * 70)},
            {"id": "2", "method": "PATCH", "url": f"/users/{ALAIN}", "headers": JSON,
             "body": set_date("2025-06-06"), "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/me", "dependsOn": ["2"]},
        ]
    }  # fmt: skip

    items = by_id(ada.post("/$batch", body))

    assert [items[i]["status"] for i in "123"] == [400, 424, 424]
    assert items["2"]["body"]["error"]["code"] == "FailedDependency"
    assert ada.user_csa(ALAIN) is None


def test_batch_dependencies_run_in_order(ada: GraphCaller) -> None:
    body = {
        "requests": [
            {"id": "b", "method": "GET", "url": f"/users/{ALAIN}?$select=customSecurityAttributes", "dependsOn": ["a"]},
            {"id": "a", "method": "PATCH", "url": f"/users/{ALAIN}", "headers": JSON, "body": set_date("2025-07-07")},
        ]
    }  # fmt: skip

    items = by_id(ada.post("/$batch", body))

    assert (
        items["b"]["body"]["customSecurityAttributes"]["Engineering"]["ProjectDate"] == "2025-07-07"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"requests": [{"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]}, "at most 20"),
        ({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]}, "relative 'url'"),
        ({"requests": [{"id": "1", "method": "PATCH", "url": "/me", "body": {}}]}, "does not contain Content-Type"),
        ({"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}]}, "not in the batch"),
        ({"requests": [{"id": "1", "method": "GET", "url": "/me"}, {"id": "1", "method": "GET", "url": "/me"}]}, "more than once"),
        ({"requests": []}, "non-empty"),
    ],
)  # fmt: skip
def test_malformed_batches(ada: GraphCaller, body: dict[str, Any], fragment: str) -> None:
    response = ada.post("/$batch", body)

    assert response.status_code == 400
    assert fragment in error_of(response)["message"]


def test_inner_requests_are_logged_and_throttled_on_their_own(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    emu.set_faults(
        rules=[{"method": "GET", "path": "^/me$", "status": 429, "count": 1, "retry_after": "7"}]
    )
    body = {
        "requests": [
            {"id": "1", "method": "GET", "url": "/me"},
            {"id": "2", "method": "GET", "url": "/directory/attributeSets"},
            {"id": "3", "method": "GET", "url": "/me", "dependsOn": ["1"]},
        ]
    }

    items = by_id(ada.post("/$batch", body))

    assert items["1"]["status"] == 429
    assert items["1"]["headers"]["Retry-After"] == "7"
    assert items["2"]["status"] == 200
    assert items["3"]["status"] == 424
    log = emu.requests_log()
    inner = [e for e in log if e["in_batch"]]
    assert [(e["path"], e["status"]) for e in inner] == [
        ("/me", 429),
        ("/directory/attributeSets", 200),
    ]
    assert [e["path"] for e in log if not e["in_batch"] and e["kind"] == "graph"] == ["/$batch"]


# -- faults ------------------------------------------------------------------------------


def test_rule_hits_exactly_count_matching_requests(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(
        rules=[{"method": "GET", "path": "^/users/", "status": 503, "count": 2, "retry_after": "1"}]
    )

    statuses = [ada.get(f"/users/{ALAIN}").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert ada.get("/me").status_code == 200
    assert emu.state()["faults"]["rules"] == []


def test_throttled_response(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(rules=[{"path": "attributeSets", "status": 429, "retry_after": "3"}])

    response = ada.get("/directory/attributeSets")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    error = error_of(response)
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert error["innerError"]["status"] == "429"


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "Service_InternalServerError"), (503, "serviceNotAvailable"), (504, "UnknownError")],
)
def test_server_errors(emu: EmulatorProcess, ada: GraphCaller, status: int, code: str) -> None:
    emu.set_faults(rules=[{"path": "", "status": status}])

    response = ada.get("/me")

    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_after_fault_applies_the_change_then_fails(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(
        rules=[
            {"method": "POST", "path": "^/directory/attributeSets$", "status": 504, "after": True}
        ]
    )

    first = ada.post("/directory/attributeSets", {"id": "Legal"})

    assert first.status_code == 504
    assert ada.get("/directory/attributeSets/Legal").status_code == 200
    retry = ada.post("/directory/attributeSets", {"id": "Legal"})
    assert "already exists" in error_of(retry)["message"]


def test_dropped_connection(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(rules=[{"path": "^/me$", "status": "drop"}])

    with pytest.raises(requests.ConnectionError):
        ada.get("/me")
    assert ada.get("/me").status_code == 200
    dropped = [e for e in emu.requests_log() if e["path"] == "/me"]
    assert [e["status"] for e in dropped] == [None, 200]


def test_random_faults_are_seeded(emu: EmulatorProcess, ada: GraphCaller) -> None:
    def run() -> list[int]:
        emu.set_faults(fault_rate_429=0.5, retry_after="1")
        return [ada.get("/me").status_code for _ in range(12)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {200, 429}


def test_latency(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(latency_ms=150)
    started = time.monotonic()

    ada.get("/me")

    assert time.monotonic() - started >= 0.15


def test_empty_fault_config_clears_everything(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(fault_rate_5xx=1.0, rules=[{"path": "", "status": 429, "count": 5}])
    emu.set_faults()

    assert ada.get("/me").status_code == 200
    assert emu.state()["faults"] == {
        "latency_ms": 0,
        "fault_rate_429": 0.0,
        "fault_rate_5xx": 0.0,
        "fault_rate_stall": 0.0,
        "stall_ms": 2000,
        "fault_rate_drop": 0.0,
        "retry_after": "2",
        "rules": [],
    }


@pytest.mark.parametrize(
    "faults",
    [
        {"fault_rate_429": 2},
        {"rules": [{"path": "(", "status": 429}]},
        {"rules": [{"path": "x", "status": 418}]},
    ],
)
def test_invalid_fault_config(emu: EmulatorProcess, faults: dict[str, Any]) -> None:
    with pytest.raises(EmulatorError, match="400"):
        emu.set_faults(**faults)


# -- request log -------------------------------------------------------------------------


def test_request_log_entries(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.get(
        "/users?$count=true&$filter=startsWith(displayName,'A')",
        headers={"ConsistencyLevel": "eventual", "client-request-id": "req-1"},
    )

    entry = emu.requests_log()[-1]

    assert entry["method"] == "GET"
    assert entry["path"] == "/users"
    assert entry["query"] == {"$count": "true", "$filter": "startsWith(displayName,'A')"}
    assert entry["status"] == 200
    assert entry["client_request_id"] == "req-1"
    assert entry["upn"] == "ada.admin@contoso.example"
    assert entry["consistency_level"] == "eventual"
    assert entry["in_batch"] is False
    assert {"seq", "time", "request_id"} <= set(entry)


def test_request_log_since_and_token_calls(emu: EmulatorProcess) -> None:
    mark = emu.requests_log()[-1]["seq"] if emu.requests_log() else 0
    token = emu.password_token("rey.reader@contoso.example")
    emu.graph("GET", "/me", token=token)

    entries = emu.requests_log(since=mark)

    assert [e["kind"] for e in entries] == ["token", "graph"]
    assert entries[0]["grant_type"] == "password"
    assert entries[0]["path"] == f"/{emu.tenant_id}/oauth2/v2.0/token"
    assert token not in str(entries)
    assert "demo" not in {str(v) for e in entries for v in e.values()}


def test_reset_clears_the_log_but_not_the_sequence(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.get("/me")
    last = emu.requests_log()[-1]["seq"]

    emu.reset()
    ada.get("/me")

    assert [e["seq"] > last for e in emu.requests_log()] == [True]


# -- Graph token checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Access token is empty."),
        ("Bearer ", "Access token is empty."),
        ("Bearer not-a-jwt", "IDX14100"),
        ("Basic abc", "Access token is empty."),
    ],
)
def test_missing_or_malformed_token(
    emu: EmulatorProcess, authorization: str | None, message: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = emu.session.get(f"{emu.graph_url}/me", headers=headers, timeout=10)

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "InvalidAuthenticationToken"
    assert message in error["message"]
    assert "WWW-Authenticate" in response.headers


def test_id_token_is_not_an_access_token(emu: EmulatorProcess) -> None:
    form = {
        "grant_type": "password",
        "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "username": "ada.admin@contoso.example",
        "password": "demo",
        "scope": "openid profile User.Read",
    }
    id_token = emu.session.post(emu.token_endpoint, data=form, timeout=10).json()["id_token"]

    response = emu.graph("GET", "/me", token=id_token)

    assert error_of(response)["message"] == "Access token validation failure. Invalid audience."


def test_tampered_token(emu: EmulatorProcess, ada: GraphCaller) -> None:
    header, payload, signature = ada.token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"

    assert emu.graph("GET", "/me", token=tampered).status_code == 401


def test_expired_access_tokens(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.expire_access_tokens()

    response = ada.get("/me")

    assert error_of(response)["message"] == "Access token has expired or is not yet valid."
    fresh = emu.password_token("ada.admin@contoso.example")
    assert emu.graph("GET", "/me", token=fresh).status_code == 200


def test_revoked_tokens(emu: EmulatorProcess, graph_as) -> None:  # type: ignore[no-untyped-def]
    ava, rey = graph_as("ava"), graph_as("rey")

    emu.revoke_tokens("ava.auditor@contoso.example")

    assert ava.get("/me").status_code == 401
    assert "TokenIssuedBeforeRevocationTimestamp" in error_of(ava.get("/me"))["message"]
    assert rey.get("/me").status_code == 200
    emu.reset()
    assert ava.get("/me").status_code == 200


def test_keep_alive_and_content_length(emu: EmulatorProcess, ada: GraphCaller) -> None:
    context = ssl.create_default_context(cafile=emu.ca_path)
    host = urlsplit(emu.graph_url)
    connection = http.client.HTTPSConnection(host.hostname, host.port, context=context, timeout=10)
    try:
        sockets = set()
        for path in ("/me", "/nope", "/me"):
            connection.request(
                "GET", f"/graph/v1.0{path}", headers={"Authorization": f"Bearer {ada.token}"}
            )
            response = connection.getresponse()
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers["request-id"]
            sockets.add(id(connection.sock))
        assert len(sockets) == 1
    finally:
        connection.close()


# -- faults for load tests ---------------------------------------------------------------


def _concurrently(
    emu: EmulatorProcess, token: str, faults: dict[str, Any], calls: list[tuple[str, str, Any]]
) -> float:
    """Seconds from starting every call at once until the last is answered, with `faults`
    set; each call has its own connection, opened before the clock starts."""
    sessions = []
    for _ in calls:
        session = requests.Session()
        session.trust_env = False
        session.verify = emu.ca_path
        session.headers["Authorization"] = f"Bearer {token}"
        session.get(f"{emu.graph_url}/me", timeout=10)
        sessions.append(session)
    emu.set_faults(**faults)
    barrier = threading.Barrier(len(calls) + 1)
    statuses: list[int] = []

    def call(session: requests.Session, method: str, path: str, body: Any) -> None:
        barrier.wait()
        response = session.request(method, f"{emu.graph_url}{path}", json=body, timeout=10)
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=call, args=(session, *c))
        for session, c in zip(sessions, calls, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for session in sessions:
        session.close()
    assert statuses == [200] * len(calls)
    return elapsed


@pytest.mark.parametrize(
    "faults",
    [{"latency_ms": 200}, {"fault_rate_stall": 1.0, "stall_ms": 200}],
    ids=["latency", "stall"],
)
def test_latency_and_stalls_are_served_outside_the_lock(
    emu: EmulatorProcess, ada: GraphCaller, faults: dict[str, Any]
) -> None:
    elapsed = _concurrently(emu, ada.token, faults, [("GET", "/me", None)] * 2)

    assert 0.2 <= elapsed < 0.35, f"two requests at 200 ms took {elapsed * 1000:.0f} ms"


def test_parallel_batches_see_parallel_service_time(emu: EmulatorProcess, ada: GraphCaller) -> None:
    batch = {
        "requests": [
            {"id": str(i), "method": "PATCH", "url": f"/users/{ALAIN}", "headers": JSON,
             "body": set_date(f"2025-01-{i + 10}")}
            for i in range(10)
        ]
    }  # fmt: skip

    elapsed = _concurrently(emu, ada.token, {"latency_ms": 200}, [("POST", "/$batch", batch)] * 3)

    assert elapsed < 0.5, f"three batches at 200 ms took {elapsed * 1000:.0f} ms"
    assert len(emu.writes()) == 30


def test_random_stalls_are_seeded_and_logged(emu: EmulatorProcess, ada: GraphCaller) -> None:
    def run() -> list[bool]:
        emu.set_faults(fault_rate_stall=0.5, stall_ms=1)
        mark = emu.requests_log()[-1]["seq"] if emu.requests_log() else 0
        for _ in range(12):
            ada.get("/me")
        return [e["stalled"] for e in emu.requests_log(since=mark)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {True, False}


def test_a_stall_holds_the_request_for_stall_ms(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(fault_rate_stall=1.0, stall_ms=150)
    started = time.monotonic()

    assert ada.get("/me").status_code == 200

    assert time.monotonic() - started >= 0.15
    assert emu.requests_log()[-1]["stalled"] is True


def test_random_drops_lose_the_answer_not_the_write(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.set_faults(fault_rate_drop=1.0)

    with pytest.raises(requests.ConnectionError):
        ada.patch(f"/users/{ALAIN}", set_date("2025-08-08"))
    with pytest.raises(requests.ConnectionError):
        ada.post("/$batch", {"requests": [{"id": "1", "method": "GET", "url": "/me"}]})
    emu.set_faults()

    assert ada.user_csa(ALAIN)["Engineering"]["ProjectDate"] == "2025-08-08"
    assert [(w["status"], w["handler_status"]) for w in emu.writes()] == [(None, 204)]
    assert [(e["path"], e["status"]) for e in emu.requests_log()][:3] == [
        (f"/users/{ALAIN}", None),
        ("/me", 200),  # inside the batch: answered, but the answer never left
        ("/$batch", None),
    ]


def test_random_drops_are_seeded(emu: EmulatorProcess, ada: GraphCaller) -> None:
    def run() -> list[bool]:
        emu.set_faults(fault_rate_drop=0.4)
        outcomes = []
        for _ in range(10):
            try:
                outcomes.append(ada.get("/me").status_code == 200)
            except requests.ConnectionError:
                outcomes.append(False)
        return outcomes

    first, second = run(), run()

    assert first == second
    assert set(first) == {True, False}


@pytest.mark.parametrize(
    "faults", [{"fault_rate_stall": 1.5}, {"stall_ms": -1}, {"fault_rate_drop": "often"}]
)
def test_invalid_load_faults(emu: EmulatorProcess, faults: dict[str, Any]) -> None:
    with pytest.raises(EmulatorError, match="400"):
        emu.set_faults(**faults)
