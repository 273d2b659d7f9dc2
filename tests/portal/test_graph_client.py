"""The Graph client against the emulator over real HTTPS: paging, retries, errors, $batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest
import requests

from emulator.harness import EmulatorProcess
from portal.graph import (
    EVENTUAL,
    BatchRequest,
    GraphClient,
    GraphError,
    GraphUnavailable,
    InvalidIdentifier,
    NotFound,
    Throttled,
    counting_round_trips,
    odata_string,
    retry_after_seconds,
    segment,
)
from portal.http import http_session


@dataclass
class FakeTime:
    """Time that moves only when the client sleeps, so waits cost nothing in tests."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def graph(emu: EmulatorProcess, time_: FakeTime) -> GraphClient:
    token = emu.password_token("ada.admin@contoso.example")
    return GraphClient(
        session=http_session(),
        token_provider=lambda force_refresh=False: token,
        base_url=emu.graph_root,
        retry_budget=10.0,
        sleep=time_.sleep,
        clock=time_.clock,
    )


def _graph_calls(emu: EmulatorProcess, method: str, fragment: str) -> list[dict]:
    return [
        entry
        for entry in emu.requests_log()
        if entry["method"] == method
        and fragment in entry["path"]
        and "/oauth2/" not in entry["path"]
    ]


def test_iterate_follows_next_links_across_pages(graph: GraphClient) -> None:
    with counting_round_trips() as trips:
        users = list(graph.iterate("/users", params={"$top": "25", "$select": "id"}))
    ids = [u["id"] for u in users]
    assert len(ids) == len(set(ids))
    assert len(ids) > 100
    assert trips.count == -(-len(ids) // 25)


def test_iterate_resends_consistency_level_on_every_page(
    graph: GraphClient, emu: EmulatorProcess
) -> None:
    params = {
        "$filter": "customSecurityAttributes/Engineering/Project eq 'Baker'",
        "$count": "true",
        "$top": "2",
        "$select": "id",
    }
    users = list(graph.iterate("/users", params=params, headers=EVENTUAL))
    assert len(users) > 2
    pages = _graph_calls(emu, "GET", "/users")
    assert len(pages) > 1
    assert all(page["consistency_level"] == "eventual" for page in pages)


def test_retry_after_is_honoured_on_429(
    graph: GraphClient, emu: EmulatorProcess, time_: FakeTime
) -> None:
    emu.set_faults(rules=[{"path": "/directory/attributeSets", "status": 429, "retry_after": "3"}])
    sets = graph.get("/directory/attributeSets")
    assert sets["value"]
    assert time_.slept == [3.0]
    assert [c["status"] for c in _graph_calls(emu, "GET", "/directory/attributeSets")] == [429, 200]


def test_5xx_is_retried_within_a_bounded_total_time(
    graph: GraphClient, emu: EmulatorProcess, time_: FakeTime
) -> None:
    emu.set_faults(rules=[{"path": "/directory/attributeSets", "status": 503, "count": 100}])
    with pytest.raises(GraphUnavailable):
        graph.get("/directory/attributeSets")
    assert sum(time_.slept) <= graph.retry_budget
    attempts = _graph_calls(emu, "GET", "/directory/attributeSets")
    assert 3 <= len(attempts) < 100


def test_throttling_beyond_the_budget_raises_with_retry_after(
    graph: GraphClient, emu: EmulatorProcess, time_: FakeTime
) -> None:
    emu.set_faults(
        rules=[{"path": "/directory/attributeSets", "status": 429, "count": 5, "retry_after": "60"}]
    )
    with pytest.raises(Throttled) as caught:
        graph.get("/directory/attributeSets")
    assert caught.value.retry_after == 60.0
    assert time_.slept == []


def test_a_create_whose_answer_is_lost_is_not_sent_twice(
    graph: GraphClient, emu: EmulatorProcess
) -> None:
    emu.set_faults(
        rules=[
            {"method": "POST", "path": "/directory/attributeSets$", "status": 504, "after": True}
        ]
    )

    def existing() -> dict | None:
        try:
            return graph.get(f"/directory/attributeSets/{segment('Finance')}")
        except NotFound:
            return None

    created = graph.create(
        "/directory/attributeSets", {"id": "Finance", "description": "x"}, find_existing=existing
    )
    assert created.body["id"] == "Finance"
    # The write's own answer was lost; the re-read's request-id is not the write's.
    assert (created.status, created.request_id) == (None, None)
    posts = _graph_calls(emu, "POST", "/directory/attributeSets")
    assert [p["status"] for p in posts] == [504]


def test_a_create_refused_before_it_ran_is_retried(
    graph: GraphClient, emu: EmulatorProcess
) -> None:
    emu.set_faults(rules=[{"method": "POST", "path": "/directory/attributeSets$", "status": 503}])
    created = graph.create("/directory/attributeSets", {"id": "Legal"}, find_existing=lambda: None)
    assert created.body["id"] == "Legal"
    posts = _graph_calls(emu, "POST", "/directory/attributeSets")
    assert [p["status"] for p in posts] == [503, 201]
    assert (created.status, created.request_id) == (201, posts[-1]["request_id"])


def test_errors_carry_graphs_code_message_and_request_id(
    graph: GraphClient, emu: EmulatorProcess
) -> None:
    with pytest.raises(NotFound) as caught:
        graph.get(f"/directory/attributeSets/{segment('Nope')}")
    error = caught.value
    assert error.code == "Request_ResourceNotFound"
    assert error.message
    assert error.status == 404
    logged = _graph_calls(emu, "GET", "/directory/attributeSets/Nope")[-1]
    assert error.request_id == logged["request_id"]
    assert error.client_request_id == logged["client_request_id"]


def test_odata_literals_escape_quotes_for_real(graph: GraphClient) -> None:
    name = "O'Brien"
    params = {"$filter": f"attributeSet eq {odata_string(name)}"}
    assert graph.page("/directory/customSecurityAttributeDefinitions", params=params).items == []


def test_batch_splits_into_twenties_and_retries_throttled_items(
    graph: GraphClient, emu: EmulatorProcess
) -> None:
    emu.set_faults(
        rules=[{"path": "/directory/attributeSets/Security", "status": 429, "retry_after": "1"}]
    )
    requests_ = [
        BatchRequest(id=str(i), method="GET", url="/directory/attributeSets/" + name)
        for i, name in enumerate(["Engineering", "Marketing", "Security"] * 9)
    ]
    with counting_round_trips() as trips:
        answers = graph.batch(requests_)
    assert len(answers) == 27
    assert all(answer.ok for answer in answers.values())
    assert answers["2"].body["id"] == "Security"
    assert trips.count == 3  # two batches, then one for the throttled item


def test_next_links_to_another_host_are_not_followed(graph: GraphClient) -> None:
    with pytest.raises(Exception, match="another host"):
        graph.page("/users", next_link="https://evil.example/graph/v1.0/users?$skiptoken=x")


@pytest.mark.parametrize("bad", ["", "..", "a/b", "a?b", "a#b", "x\x00"])
def test_path_segments_from_input_are_refused(bad: str) -> None:
    # Refused before any call, so the error says nothing about Graph.
    with pytest.raises(InvalidIdentifier) as refused:
        segment(bad)
    assert not isinstance(refused.value, GraphError)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2.128", 2.128), ("0", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None)],
)
def test_retry_after_accepts_seconds_and_http_dates(header: str, expected: float | None) -> None:
    response = requests.Response()
    response.headers["Retry-After"] = header
    assert retry_after_seconds(response.headers) == expected


def test_without_resend_a_refused_batch_comes_back_on_its_items_and_is_not_sent_again(
    graph: GraphClient, emu: EmulatorProcess, time_: FakeTime
) -> None:
    ids = [u["id"] for u in graph.get("/users", params={"$top": "40", "$select": "id"})["value"]]
    requests_ = [
        BatchRequest(id=str(n), method="GET", url=f"/users/{user_id}?$select=id")
        for n, user_id in enumerate(ids)
    ]
    emu.set_faults(rules=[{"method": "POST", "path": r"/\$batch", "status": 503, "count": 1}])
    answers = graph.batch(requests_, concurrency=1, resend=False)
    statuses = Counter(answer.status for answer in answers.values())
    # The first batch of 20 was refused whole, the second answered: nothing was resent.
    assert statuses == Counter({503: 20, 200: 20})
    assert len(_graph_calls(emu, "POST", "/$batch")) == 2
    assert time_.slept == []
    emu.set_faults(
        rules=[
            {"method": "POST", "path": r"/\$batch", "status": 429, "retry_after": "7", "count": 1}
        ]
    )
    throttled = graph.batch(requests_[:20], resend=False)
    assert {retry_after_seconds(a.headers) for a in throttled.values()} == {7.0}
