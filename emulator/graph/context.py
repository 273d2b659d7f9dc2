"""One Graph request as handlers see it, and what they answer."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from emulator.graph.access import Access
from emulator.graph.errors import bad_request
from emulator.graph.index import FilterIndex
from emulator.graph.odata import QueryOptions, parse_query
from emulator.graph.quota import priority_of
from emulator.identity.tokens import Caller
from emulator.server.switches import RuntimeSettings
from emulator.server.web import Encoded, dump_json
from emulator.tenant.model import DirectoryObject, Tenant

QUERY_CACHE_SIZE = 32
RENDER_CACHE_SIZE = 200_000


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class GraphRequest:
    method: str
    version: str  # "v1.0" or "beta"
    path: str  # raw path after the version, e.g. "/users/…"
    params: tuple[tuple[str, str], ...]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    caller: Caller
    request_id: str
    client_request_id: str
    client_ip: str
    in_batch: bool = False

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def priority(self) -> str:
        """`x-ms-throttle-priority`: Low, Normal (also when absent or unknown) or High."""
        return priority_of(self.header("x-ms-throttle-priority"))

    @cached_property
    def options(self) -> QueryOptions:
        return parse_query(self.params)

    @property
    def consistency_eventual(self) -> bool:
        """`ConsistencyLevel: eventual`, as a header or (the docs allow it) in the query."""
        in_query = any(n.lower() == "consistencylevel" and v == "eventual" for n, v in self.params)
        return self.header("consistencylevel").lower() == "eventual" or in_query

    @property
    def advanced_query(self) -> bool:
        """ConsistencyLevel with `$count=true`, or with the `/$count` segment, which is an
        advanced query of its own (aad-advanced-queries.md)."""
        counting = self.options.count or self.path.rstrip("/").lower().endswith("/$count")
        return self.consistency_eventual and counting

    def json_object(self) -> dict[str, Any]:
        try:
            payload = json.loads(self.body.decode("utf-8")) if self.body.strip() else None
        except (UnicodeDecodeError, ValueError) as error:
            raise bad_request(
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format."
            ) from error
        if not isinstance(payload, dict):
            raise bad_request("The request body must be a JSON object.")
        return payload


class QueryCache:
    """Results of filtered directory queries, keyed by query and tenant revision, so that
    following `@odata.nextLink` through a large result does not re-run the filter."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], list[Any]] = OrderedDict()
        self._rendered: dict[tuple[Any, ...], tuple[object, Encoded]] = {}
        self._rendered_revision = -1

    def get(self, key: tuple[Any, ...]) -> list[Any] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], value: list[Any]) -> None:
        self._entries[key] = value
        while len(self._entries) > QUERY_CACHE_SIZE:
            self._entries.popitem(last=False)

    def rendered(
        self,
        revision: int,
        key: tuple[Any, ...],
        values: object,
        render: Callable[[], dict[str, Any]],
    ) -> Encoded:
        """An object as a list shows it, rendered once per tenant revision and values map,
        and kept encoded, so that reading a large tenant page by page costs joining the
        pages, not building and encoding every item again. `values` is the object's map as shown: a lagging index shows
        some objects with older maps (index.py), and those are rendered apart."""
        if revision != self._rendered_revision or len(self._rendered) >= RENDER_CACHE_SIZE:
            self._rendered.clear()
            self._rendered_revision = revision
        found = self._rendered.get(key)
        if found is None or found[0] is not values:
            found = self._rendered[key] = (values, Encoded(dump_json(render())))
        return found[1]

    def clear(self) -> None:
        self._entries.clear()
        self._rendered.clear()


@dataclass
class GraphContext:
    """Everything a handler needs; built per request while the emulator lock is held."""

    request: GraphRequest
    tenant: Tenant
    settings: RuntimeSettings
    graph_root: str  # https://localhost:PORT/graph
    cache: QueryCache
    index: FilterIndex  # what $filter on customSecurityAttributes sees

    @cached_property
    def access(self) -> Access:
        return Access.of(self.tenant.roles_of(self.request.caller.user_id))

    @cached_property
    def me(self) -> DirectoryObject | None:
        return self.tenant.find_user(self.request.caller.user_id)

    @property
    def caller(self) -> Caller:
        return self.request.caller

    @property
    def base_url(self) -> str:
        return f"{self.graph_root}/{self.request.version}"

    @property
    def request_url(self) -> str:
        return f"{self.base_url}{self.request.path}"

    def context_url(self, fragment: str) -> str:
        return f"{self.base_url}/$metadata#{fragment}"
