"""In-process checks of pieces that need no server: seeds, $filter parsing, the control
surface's loopback rule and the fault injector."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from emulator.graph.errors import GraphError
from emulator.graph.index import FilterIndex
from emulator.graph.odata import (
    Compare,
    Expansion,
    Field,
    Function,
    IsOf,
    Logical,
    Not,
    compile_filter,
    parse_expansion,
    parse_filter,
    parse_query,
)
from emulator.graph.quota import QuotaConfig, QuotaConfigError, WriteQuota, priority_of
from emulator.server.control_surface import ControlSurface
from emulator.server.faults import FaultConfigError, FaultInjector
from emulator.server.http_server import AppServer
from emulator.server.pki import SigningKey
from emulator.server.state import Emulator, Urls
from emulator.server.web import Request, Response, percent_encode_iri
from emulator.server.writelog import WriteLog
from emulator.tenant import agents, demo
from emulator.tenant.kinds import MICROSOFT_TENANT_ID
from emulator.tenant.model import (
    AGENT_BLUEPRINT_PRINCIPAL,
    AGENT_IDENTITY,
    AGENT_USER,
    DirectoryObject,
    Tenant,
)
from emulator.tenant.seed import LargeMix, SeedError, build_tenant, parse_seed
from tests.emulator.conftest import DEMO_SERVICE_PRINCIPALS, DEMO_USERS


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


def test_demo_seed_has_every_kind_of_directory_object() -> None:
    tenant = build_tenant("demo")
    users = [u.properties for u in tenant.users.values()]
    sps = [sp.properties for sp in tenant.service_principals.values()]

    assert len(tenant.users) == DEMO_USERS
    assert len(tenant.service_principals) == DEMO_SERVICE_PRINCIPALS
    guests = [u for u in users if u["userType"] == "Guest"]
    assert 10 < len(guests) < 30
    assert all(
        re.fullmatch(r"[a-z0-9.]+_[a-z.-]+#EXT#@contoso\.example", g["userPrincipalName"])
        for g in guests
    )
    assert any(u["accountEnabled"] is False for u in users)
    assert {sp["servicePrincipalType"] for sp in sps} == {
        "Application",
        "ManagedIdentity",
        "ServiceIdentity",
    }
    first_party = [sp for sp in sps if sp["appOwnerOrganizationId"] == MICROSOFT_TENANT_ID]
    assert len(first_party) == 8
    assert sum(sp["servicePrincipalType"] == "ManagedIdentity" for sp in sps) == 10
    assert sum(bool(u.csa) for u in tenant.users.values()) > 100


def test_demo_agents_follow_microsofts_pattern() -> None:
    tenant = build_tenant("demo")
    by_subtype = {
        subtype: [
            o
            for o in [*tenant.users.values(), *tenant.service_principals.values()]
            if o.subtype == subtype
        ]
        for subtype in (AGENT_BLUEPRINT_PRINCIPAL, AGENT_IDENTITY, AGENT_USER)
    }
    blueprints, identities, agent_users = by_subtype.values()

    assert [b.display_name for b in blueprints] == [b.display_name for b in agents.DEMO_BLUEPRINTS]
    assert [a.id for a in identities] == [a.object_id for a in agents.DEMO_AGENTS]
    assert len(agent_users) == 3
    blueprint_app_ids = {b.properties["appId"] for b in blueprints}
    assert {a.properties["agentIdentityBlueprintId"] for a in identities} == blueprint_app_ids
    assert all(a.properties["appId"] == a.id for a in identities)
    assert {u.properties["identityParentId"] for u in agent_users} <= {a.id for a in identities}
    statuses = {
        status
        for agent in identities
        for status in agent.csa.get("AgentAttributes", {}).get("AgentApprovalStatus", [])
    }
    assert statuses == set(agents.APPROVAL_STATUSES)
    assert 0 < sum(bool(a.csa) for a in identities) < len(identities)
    assert 0 < sum(bool(b.csa) for b in blueprints) < len(blueprints)
    assert any(not a.sponsors for a in identities)
    assert all(tenant.find_user(s) is not None for a in identities for s in a.sponsors)


def test_demo_schema_keeps_its_sets_and_adds_the_agent_pattern() -> None:
    tenant = build_tenant("demo")
    status = tenant.find_definition("AgentAttributes_AgentApprovalStatus")

    assert [s.id for s in tenant.attribute_sets.values()] == [
        "Engineering", "Marketing", "Security", "Finance", "AgentAttributes", "ResourceAttributes",
    ]  # fmt: skip
    assert status is not None
    assert (status.type, status.is_collection, status.use_predefined_values_only) == (
        "String",
        True,
        True,
    )
    assert status.is_searchable
    assert list(status.allowed_values) == list(agents.APPROVAL_STATUSES)
    assert tenant.find_definition("ResourceAttributes_Department") is not None


def test_seeds_are_deterministic() -> None:
    first, second = build_tenant("large:2000"), build_tenant("large:2000")

    assert first.to_json() == second.to_json()
    assert len(first.users) + len(first.service_principals) == 2000
    assert len({u.properties["userPrincipalName"] for u in first.users.values()}) == len(
        first.users
    )


@pytest.mark.parametrize("total", [10, 11, 99, 1000, 12_345, 50_000])
def test_large_mix_adds_up(total: int) -> None:
    mix = LargeMix.of(total)

    assert mix.total == total
    assert mix.members >= len(demo.DEMO_ACCOUNTS)
    assert mix.applications >= 1
    assert mix.first_party >= 2
    assert mix.agent_users <= mix.agent_identities


def test_large_seed_mixes_every_kind() -> None:
    tenant = build_tenant("large:5000")
    objects = [*tenant.users.values(), *tenant.service_principals.values()]
    counts = Counter(_kind(o) for o in objects)

    assert len(objects) == 5000
    assert counts == {
        "member": 4246, "guest": 300, "application": 200, "first-party": 50,
        "managed identity": 50, AGENT_BLUEPRINT_PRINCIPAL: 4, AGENT_IDENTITY: 100, AGENT_USER: 50,
    }  # fmt: skip
    blueprint_app_ids = {
        o.properties["appId"] for o in objects if o.subtype == AGENT_BLUEPRINT_PRINCIPAL
    }
    identities = {o.id: o for o in objects if o.subtype == AGENT_IDENTITY}
    assert {
        a.properties["agentIdentityBlueprintId"] for a in identities.values()
    } == blueprint_app_ids
    parents = [o.properties["identityParentId"] for o in objects if o.subtype == AGENT_USER]
    assert len(set(parents)) == len(parents)  # one agent user per agent identity at most
    assert set(parents) <= set(identities)
    tagged = sum(bool(a.csa) for a in identities.values())
    assert 0.15 * len(identities) < tagged < 0.5 * len(identities)
    assert all(
        tenant.users[s].properties["userType"] == "Member"
        for a in identities.values()
        for s in a.sponsors
    )


def _kind(obj: DirectoryObject) -> str:
    if obj.subtype is not None:
        return obj.subtype
    if obj.kind == "user":
        return str(obj.properties["userType"]).lower()
    if obj.properties["servicePrincipalType"] == "ManagedIdentity":
        return "managed identity"
    if obj.properties["appOwnerOrganizationId"] == MICROSOFT_TENANT_ID:
        return "first-party"
    return "application"


def test_large_seed_of_50000_objects_builds_quickly() -> None:
    started = time.perf_counter()
    tenant = build_tenant("large:50000")
    elapsed = time.perf_counter() - started

    assert len(tenant.users) + len(tenant.service_principals) == 50_000
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
    assert len(core.tenant.attribute_sets) == 6


def test_the_state_document_keeps_subtypes_and_sponsors() -> None:
    tenant = build_tenant("demo")

    restored = Tenant.from_json(json.loads(json.dumps(tenant.to_json())))

    agent = restored.find_service_principal(agents.DEMO_AGENTS[1].object_id)
    assert agent is not None
    assert agent.subtype == AGENT_IDENTITY
    assert agent.sponsors == (demo.GIL.object_id, demo.ADA.object_id)
    assert restored.to_json() == tenant.to_json()


def test_a_state_document_from_before_agents_still_loads() -> None:
    document = build_tenant("demo").to_json()
    for item in [*document["users"], *document["servicePrincipals"]]:
        del item["subtype"], item["sponsors"]

    restored = Tenant.from_json(document)

    assert all(u.subtype is None and u.sponsors == () for u in restored.users.values())


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


def test_parse_guid_literals_and_type_tests() -> None:
    node = parse_filter(
        "appOwnerOrganizationId eq F8CDEF31-A31E-4B4A-93E4-5F571E91255A and "
        "not isOf('microsoft.graph.agentIdentity')"
    )

    assert isinstance(node, Logical)
    guid, negated = node.operands
    assert isinstance(guid, Compare)
    assert (guid.literal.kind, guid.literal.value) == (
        "guid",
        "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    )
    assert isinstance(negated, Not)
    assert negated.operand == IsOf("microsoft.graph.agentIdentity")


def test_expand_items_split_outside_parentheses() -> None:
    options = parse_query([("$expand", "sponsors($select=id,displayName),owners")])

    assert options.expand == ("sponsors($select=id,displayName)", "owners")
    assert parse_expansion(options.expand[0]) == Expansion("sponsors", ("id", "displayName"))
    assert parse_expansion("sponsors") == Expansion("sponsors")


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
