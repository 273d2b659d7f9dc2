"""GraphClient.pages reads each page's next link off the raw body and fetches ahead.

These narrow tests answer from canned pages (a requests transport adapter), because they
need bodies Graph would rarely send and a page that answers only when the test says so;
the same walk against the emulator over HTTPS is in test_graph_client.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from portal.graph import GraphClient, GraphError, NotFound, counting_round_trips

ROOT = "https://graph.test/graph"


class CannedGraph(BaseAdapter):
    """Answers each URL with a canned body; a URL given an Event waits for it first."""

    def __init__(self, bodies: dict[str, bytes | int], gates: dict[str, threading.Event]) -> None:
        super().__init__()
        self.bodies, self.gates = bodies, gates
        self.requested: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = str(request.url)
        self.requested.append(url)
        if url in self.gates:
            assert self.gates[url].wait(timeout=30)
        body = self.bodies[url]
        response = requests.Response()
        response.url, response.request = url, request
        response.status_code = body if isinstance(body, int) else 200
        response._content = (
            json.dumps({"error": {"code": "Request_ResourceNotFound", "message": "gone"}}).encode()
            if isinstance(body, int)
            else body
        )
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def _url(page: int) -> str:
    return f"{ROOT}/v1.0/users" if page == 1 else f"{ROOT}/v1.0/users?$skiptoken={page}"


def _body(page: int, last: int, *, link_after_value: bool = False) -> bytes:
    items = [{"id": f"{page}-{i}", "displayName": f"User {page}.{i}"} for i in range(3)]
    body: dict[str, Any] = {"@odata.context": f"{ROOT}/v1.0/$metadata#users"}
    link = {"@odata.nextLink": _url(page + 1)} if page < last else {}
    if not link_after_value:
        body.update(link)
    body["value"] = items
    if link_after_value:
        body.update(link)
    return json.dumps(body).encode()


def _client(adapter: CannedGraph) -> GraphClient:
    session = requests.Session()
    session.mount(ROOT, adapter)
    return GraphClient(
        session=session, token_provider=lambda force_refresh=False: "t", base_url=ROOT
    )


def _walk(graph: GraphClient) -> Iterator[list[str]]:
    for page in graph.pages("/users"):
        yield [item["id"] for item in page.items]


def test_every_page_arrives_in_order_with_one_round_trip_each() -> None:
    adapter = CannedGraph({_url(p): _body(p, 5) for p in range(1, 6)}, {})
    with counting_round_trips() as trips:
        pages = list(_walk(_client(adapter)))
    assert [ids[0] for ids in pages] == ["1-0", "2-0", "3-0", "4-0", "5-0"]
    assert adapter.requested == [_url(p) for p in range(1, 6)]
    assert trips.count == 5


def test_the_link_is_read_wherever_it_is_and_never_from_inside_a_value() -> None:
    decoy = {"id": "x", "displayName": '"@odata.nextLink": "https://evil.example/steal"'}
    first = json.loads(_body(1, 2, link_after_value=True))
    first["value"].insert(0, decoy)
    adapter = CannedGraph({_url(1): json.dumps(first).encode(), _url(2): _body(2, 2)}, {})
    pages = list(_walk(_client(adapter)))
    assert pages[0][0] == "x"
    assert adapter.requested == [_url(1), _url(2)]


def test_a_failure_on_a_later_page_is_raised_after_the_pages_before_it() -> None:
    bodies: dict[str, bytes | int] = {_url(1): _body(1, 3), _url(2): _body(2, 3), _url(3): 404}
    walk = _walk(_client(CannedGraph(bodies, {})))
    assert next(walk)[0] == "1-0"
    assert next(walk)[0] == "2-0"
    with pytest.raises(NotFound):
        next(walk)


def test_a_link_to_another_host_is_not_followed() -> None:
    first = json.loads(_body(1, 2))
    first["@odata.nextLink"] = "https://evil.example/v1.0/users?$skiptoken=2"
    adapter = CannedGraph({_url(1): json.dumps(first).encode()}, {})
    walk = _walk(_client(adapter))
    next(walk)
    with pytest.raises(GraphError, match="another host"):
        next(walk)
    assert adapter.requested == [_url(1)]


def test_a_reader_that_stops_early_leaves_no_fetch_running() -> None:
    page_three = threading.Event()
    adapter = CannedGraph({_url(p): _body(p, 9) for p in range(1, 10)}, {_url(3): page_three})
    walk = _walk(_client(adapter))
    next(walk)
    walk.close()
    page_three.set()  # if the fetch ahead reached page 3, it may now finish it
    for thread in threading.enumerate():
        if thread.name == "graph-pages-ahead":
            thread.join(timeout=30)
            assert not thread.is_alive()
    # At most the page waiting and the one on its way were fetched: never page 4.
    assert set(adapter.requested) <= {_url(1), _url(2), _url(3)}
