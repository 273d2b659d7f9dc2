"""In-process checks of pieces that need no server: seeds, $filter parsing, the control
surface's loopback rule and the fault injector."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.graph.errors import GraphError
from emulator.graph.index import FilterIndex
from emulator.graph.odata import (
    Compare,
    Field,
    Function,
    Logical,
    Not,
    compile_filter,
    parse_filter,
)
from emulator.graph.quota import QuotaConfig, QuotaConfigError, WriteQuota, priority_of
from emulator.server.control_surface import ControlSurface
from emulator.server.faults import FaultConfigError, FaultInjector
from emulator.server.http_server import AppServer
from emulator.server.pki import SigningKey
from emulator.server.state import Emulator, Urls
from emulator.server.web import Request, Response, percent_encode_iri
from emulator.server.writelog import WriteLog
from emulator.tenant import demo
from emulator.tenant.model import DirectoryObject
from emulator.tenant.seed import SeedError, build_tenant, parse_seed


@pytest.fixture(scope="module")
def core() -> Emulator:
    return Emulator(
        urls=Urls(8443, 8001),
        seed="demo",
        signing_key=SigningKey.generate(),
        ca_path=Path("ca.pem"),
    )


def request(path: str, *, method: str = "GET", client_ip: str = "127.0.0.1") -> Request:
    return Request(method, path, "", {}, b"", client_ip)


# -- seeds -------------------------------------------------------------------------------


def test_demo_seed_has_the_demo_accounts_and_their_roles() -> None:
    tenant = build_tenant("demo")

    for account in demo.DEMO_ACCOUNTS:
        user = tenant.find_user(account.user_principal_name)
        assert user is not None
        assert user.id == account.object_id
        assert user.display_name == account.display_name
        assert {(a.role_definition_id, a.directory_scope_id) for a in tenant.roles_of(user.id)} == {
            (g.role_id, g.scope) for g in account.roles
        }


def test_demo_seed_has_every_shape_of_definition() -> None:
    definitions = list(build_tenant("demo").definitions.values())

    shapes = {(d.type, d.is_collection) for d in definitions}
    assert shapes == {
        ("String", False),
        ("String", True),
        ("Integer", False),
        ("Integer", True),
        ("Boolean", False),
    }
    assert any(not d.is_active for d in definitions)
    assert any(not d.is_searchable for d in definitions)
    assert any(
        d.use_predefined_values_only and any(not v.is_active for v in d.allowed_values.values())
        for d in definitions
    )


def test_demo_seed_has_guests_disabled_users_and_both_kinds_of_service_principal() -> None:
    tenant = build_tenant("demo")
    users = [u.properties for u in tenant.users.values()]

    assert len(tenant.users) == 200
    assert 10 < sum(u["userType"] == "Guest" for u in users) < 30
    assert any(u["accountEnabled"] is False for u in users)
    assert {sp.properties["servicePrincipalType"] for sp in tenant.service_principals.values()} == {
        "Application",
        "ManagedIdentity",
    }
    assert sum(bool(u.csa) for u in tenant.users.values()) > 100


def test_seeds_are_deterministic() -> None:
    first, second = build_tenant("large:2000"), build_tenant("large:2000")

    assert first.to_json() == second.to_json()
    assert len({u.properties["userPrincipalName"] for u in first.users.values()}) == 2000


def test_large_seed_of_50000_users_builds_quickly() -> None:
    started = time.perf_counter()
    tenant = build_tenant("large:50000")
    elapsed = time.perf_counter() - started

    assert len(tenant.users) == 50_000
    assert sum(bool(u.csa) for u in tenant.users.values()) > 25_000
    assert elapsed < 10


@pytest.mark.parametrize("seed", ["large", "large:5", "large:x", "small"])
def test_bad_seeds(seed: str) -> None:
    with pytest.raises(SeedError):
        parse_seed(seed)


def test_reset_is_fast_and_restores_the_seed(core: Emulator) -> None:
    core.tenant.attribute_sets.clear()
    started = time.perf_counter()

    core.reset()

    assert time.perf_counter() - started < 0.05
    assert len(core.tenant.attribute_sets) == 4


# -- $filter parsing ---------------------------------------------------------------------


def test_parse_filter_tree() -> None:
    node = parse_filter("not(startsWith(displayName,'O''Brien')) and (a eq 1 or b/c ne true)")

    assert isinstance(node, Logical)
    assert node.op == "and"
    negated, alternatives = node.operands
    assert isinstance(negated, Not)
    assert isinstance(negated.operand, Function)
    assert negated.operand.literal.value == "O'Brien"
    assert isinstance(alternatives, Logical)
    assert alternatives.op == "or"
    assert alternatives.operands[1] == Compare(("b", "c"), "ne", alternatives.operands[1].literal)


@pytest.mark.parametrize(
    "text", ["displayName eq", "eq 'x'", "(a eq 1", "a eq 1)", "a like 'x'", "a eq 'x' and"]
)
def test_parse_filter_rejects_bad_syntax(text: str) -> None:
    with pytest.raises(GraphError) as raised:
        parse_filter(text)
    assert raised.value.status == 400


def test_compiled_filter_semantics() -> None:
    field = Field("tags", lambda item: item.get("tags"), case_sensitive=True)
    compiled = compile_filter(parse_filter("tags eq 'A' and not(tags eq 'B')"), lambda _path: field)

    assert compiled.predicate({"tags": ["A", "C"]})
    assert not compiled.predicate({"tags": ["A", "B"]})
    assert not compiled.predicate({})
    assert compiled.needs_advanced  # not() is an advanced operator


# -- control surface and faults -----------------------------------------------------------


@pytest.mark.parametrize(
    ("client_ip", "status"),
    [("127.0.0.1", 200), ("::1", 200), ("10.1.2.3", 403), ("192.168.0.5", 403)],
)
def test_control_surface_answers_loopback_only(core: Emulator, client_ip: str, status: int) -> None:
    response = ControlSurface(core).handle(request("/_emulator/state", client_ip=client_ip))

    assert response.status == status


def test_fault_rules_are_consumed_in_order() -> None:
    injector = FaultInjector()
    injector.configure(
        {"rules": [{"method": "post", "path": "^/users", "status": 500, "count": 2}]}
    )

    picks = [
        injector.pick("POST", "/users/1"),
        injector.pick("GET", "/users/1"),
        injector.pick("POST", "/users/2"),
        injector.pick("POST", "/users/3"),
    ]

    assert [p.status if p else None for p in picks] == [500, None, 500, None]


def test_fault_rule_validation() -> None:
    with pytest.raises(FaultConfigError, match="count"):
        FaultInjector().configure({"rules": [{"path": "x", "status": 429, "count": 0}]})


# -- HTTP plumbing -------------------------------------------------------------------------


def test_no_header_value_can_break_a_response() -> None:
    server = AppServer("127.0.0.1", 0)
    server.app = lambda _request: Response(
        200, b"ok", [("Location", "/sets('日本語')"), ("X-Odd", "a\r\nInjected: yes")]
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/")
        response = connection.getresponse()

        assert (response.status, response.read()) == (200, b"ok")
        assert response.headers["Location"] == "/sets('%E6%97%A5%E6%9C%AC%E8%AA%9E')"
        assert response.headers["X-Odd"] == "a%0D%0AInjected: yes"
        assert "Injected" not in response.headers
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_percent_encode_iri_keeps_ascii() -> None:
    assert percent_encode_iri("https://x/a('Ab c')?$top=1") == "https://x/a('Ab c')?$top=1"
    assert percent_encode_iri("/a('Łódź')") == "/a('%C5%81%C3%B3d%C5%BA')"


# -- write quota, write log, filter index --------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_quota_refills_continuously_and_says_when_a_write_fits() -> None:
    clock = FakeClock()
    quota = WriteQuota(
        clock, QuotaConfig(limit=4, window_seconds=8, low_reserve=0, normal_reserve=0)
    )

    admitted = [quota.admit("app", "tenant", "Normal").admitted for _ in range(5)]
    refused = quota.admit("app", "tenant", "Normal")
    clock.now += 1.5  # 0.75 of a write back
    still_refused = quota.admit("app", "tenant", "Normal")
    clock.now += 0.5
    fits = quota.admit("app", "tenant", "Normal")

    assert admitted == [True, True, True, True, False]
    assert (refused.retry_after, still_refused.retry_after) == (2, 1)
    assert fits.admitted
    assert quota.admit("other-app", "tenant", "Normal").admitted


def test_quota_reserves_the_last_of_the_bucket_for_higher_priorities() -> None:
    quota = WriteQuota(FakeClock(), QuotaConfig(limit=100, low_reserve=0.1, normal_reserve=0.02))

    def burst(priority: str) -> int:
        count = 0
        while quota.admit("app", "tenant", priority).admitted:
            count += 1
        return count

    assert [burst("Low"), burst("Normal"), burst("High"), burst("Low")] == [90, 8, 2, 0]
    # 100 writes per 150 s refill one every 1.5 s; Low waits for 11 of them, High for 1.
    assert quota.admit("app", "tenant", "Low").retry_after == 17
    assert quota.admit("app", "tenant", "High").retry_after == 2
    assert quota.admit("app", "another-tenant", "Low").admitted


def test_a_full_bucket_takes_a_write_of_any_priority() -> None:
    quota = WriteQuota(FakeClock(), QuotaConfig(limit=1))

    assert quota.admit("app", "tenant", "Low").admitted


def test_limit_percentage_from_80_percent() -> None:
    quota = WriteQuota(FakeClock(), QuotaConfig(limit=10, low_reserve=0, normal_reserve=0))

    shares = [quota.admit("app", "tenant", "High").limit_percentage for _ in range(10)]

    assert shares == [None] * 7 + ["0.80", "0.90", "1.00"]
    assert quota.limit_percentage("app", "tenant") == "1.00"
    assert quota.limit_percentage("idle-app", "tenant") is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 2.5}, "limit"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"low_reserve": 0.01, "normal_reserve": 0.02}, "reserves"),
        ({"low_reserve": 1}, "reserves"),
        ({"burst": 1}, "Unknown"),
        ([], "object or null"),
    ],
)
def test_quota_config_is_checked(value: object, fragment: str) -> None:
    with pytest.raises(QuotaConfigError, match=fragment):
        QuotaConfig.parse(value)


def test_priority_header_values() -> None:
    assert [priority_of(v) for v in ("low", "HIGH", "Normal", "", "urgent")] == [
        "Low",
        "High",
        "Normal",
        "Normal",
        "Normal",
    ]


def test_write_log_holds_100000_writes_and_pages_through_them() -> None:
    log = WriteLog()
    for number in range(100_000):
        log.record(
            method="PATCH", version="v1.0", path=f"/users/{number}", target_id=str(number),
            status=204, handler_status=204, client_request_id=f"c{number}", request_id="r",
            priority="Low", app_id="app", in_batch=True,
        )  # fmt: skip

    first = log.page(0, 40_000)
    rest = log.page(first["last_seq"], 100_000)

    assert (len(first["writes"]), first["more"], first["last_seq"]) == (40_000, True, 40_000)
    assert (len(rest["writes"]), rest["more"], rest["total"], rest["dropped"]) == (
        60_000, False, 100_000, 0,
    )  # fmt: skip
    assert rest["writes"][-1]["target_id"] == "99999"
    assert log.page(100_000)["writes"] == []
    assert log.page(100_000)["last_seq"] == 100_000


def test_write_log_marks_writes_of_a_dropped_connection_unanswered() -> None:
    log = WriteLog()
    fields = {
        "method": "PATCH", "version": "v1.0", "path": "/me", "target_id": "x", "status": 204,
        "handler_status": 204, "client_request_id": "c", "request_id": "r", "priority": "Normal",
        "app_id": "app", "in_batch": True,
    }  # fmt: skip
    for _ in range(3):
        log.record(**fields)

    log.unanswered(2)

    assert [w["status"] for w in log.page(0)["writes"]] == [204, None, None]
    assert [w["handler_status"] for w in log.page(0)["writes"]] == [204, 204, 204]


def _seen(index: FilterIndex, objects: list[DirectoryObject]) -> list[Any]:
    """What a filter evaluated through the index reads, and what it would answer."""
    view = index.view()
    with view.applied():
        read = [obj.csa for obj in objects]
    return [read, [obj.csa for obj in view.shown(objects)]]


def test_filter_index_trails_writes_by_the_lag() -> None:
    clock = FakeClock()
    index = FilterIndex(clock, lag_seconds=10)
    user = DirectoryObject("u1", "user", {}, {"Set": {"A": "new"}})
    other = DirectoryObject("u2", "user", {}, {})
    index.written(user, {"Set": {"A": "old"}})
    clock.now += 4
    index.written(user, {"Set": {"A": "middle"}})

    marks = [index.view().mark]
    early = _seen(index, [user, other])
    clock.now += 6
    marks.append(index.view().mark)
    later = _seen(index, [user, other])
    clock.now += 4
    marks.append(index.view().mark)
    live = _seen(index, [user, other])

    assert early == [[{"Set": {"A": "old"}}, {}]] * 2
    assert later == [[{"Set": {"A": "middle"}}, {}]] * 2
    assert live == [[{"Set": {"A": "new"}}, {}]] * 2
    assert user.csa == {"Set": {"A": "new"}}  # the live object is left as it was
    assert len(set(marks)) == 3


def test_filter_index_without_lag_keeps_nothing() -> None:
    index = FilterIndex(FakeClock())
    objects = [DirectoryObject("u1", "user", {}, {})]
    index.written(objects[0], {"Set": {"A": "old"}})

    view = index.view()

    assert view.shown(objects) is objects
    assert index.to_json() == {"lag_seconds": 0.0, "pending_writes": 0}
