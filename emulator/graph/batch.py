"""JSON batching: up to 20 requests run through the same handlers and checks.

The outer status is 200 whenever the batch parses; each item has its own status, a
throttled item its own Retry-After, and items whose dependency failed get 424
(graph-api.md §6, following json-batching.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator.graph.context import GraphRequest, Reply
from emulator.graph.errors import GraphError, bad_request

MAX_REQUESTS = 20
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")

Execute = Callable[[GraphRequest], Reply]


def run_batch(outer: GraphRequest, execute: Execute) -> Reply:
    items = _parse(outer)
    outcomes: dict[str, int] = {}
    responses = []
    for item in _in_dependency_order(items):
        failed = [dep for dep in item.get("dependsOn", []) if outcomes[dep] >= 400]
        if failed:
            status, headers, body = 424, {}, _failed_dependency(outer, failed[0])
        else:
            reply = execute(_inner_request(outer, item))
            status, headers, body = reply.status, dict(reply.headers), reply.body
            if body is not None:
                headers.setdefault("Content-Type", "application/json")
        outcomes[item["id"]] = status
        responses.append({"id": item["id"], "status": status, "headers": headers, "body": body})
    return Reply(200, {"responses": responses})


def _parse(outer: GraphRequest) -> list[dict[str, Any]]:
    body = outer.json_object()
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise bad_request("The batch body must have a non-empty 'requests' array.", "BadRequest")
    if len(items) > MAX_REQUESTS:
        raise bad_request(
            f"The batch has {len(items)} requests; at most {MAX_REQUESTS} are allowed in one batch.",
            "BadRequest",
        )
    seen: set[str] = set()
    for item in items:
        _check_item(item, seen)
    for item in items:
        for dependency in item.get("dependsOn", []):
            if dependency not in seen:
                raise bad_request(
                    f"Request '{item['id']}' depends on '{dependency}', which is not in the batch.",
                    "BadRequest",
                )
    return items


def _check_item(item: Any, seen: set[str]) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise bad_request("Every batch request needs a string 'id'.", "BadRequest")
    identifier = item["id"]
    if identifier in seen:
        raise bad_request(
            f"The batch request id '{identifier}' is used more than once.", "BadRequest"
        )
    seen.add(identifier)
    if str(item.get("method", "")).upper() not in METHODS:
        raise bad_request(f"Batch request '{identifier}' has an invalid 'method'.", "BadRequest")
    url = item.get("url")
    if not isinstance(url, str) or not url or urlsplit(url).scheme:
        raise bad_request(
            f"Batch request '{identifier}' needs a relative 'url', such as '/users/{{id}}'.",
            "BadRequest",
        )
    headers = item.get("headers") or {}
    if not isinstance(headers, dict):
        raise bad_request(
            f"The 'headers' of batch request '{identifier}' must be an object.", "BadRequest"
        )
    has_type = any(name.lower() == "content-type" for name in headers)
    if item.get("body") is not None and not has_type:
        raise bad_request(
            f"Write request id : {identifier} does not contain Content-Type header or body.",
            "BadRequest",
        )
    depends_on = item.get("dependsOn", [])
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        raise bad_request(
            f"'dependsOn' of batch request '{identifier}' must be a list of ids.", "BadRequest"
        )


def _in_dependency_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()
    remaining = list(items)
    while remaining:
        ready = [i for i in remaining if all(d in placed for d in i.get("dependsOn", []))]
        if not ready:
            raise bad_request("The batch's dependsOn references form a cycle.", "BadRequest")
        for item in ready:
            ordered.append(item)
            placed.add(item["id"])
            remaining.remove(item)
    return ordered


def _inner_request(outer: GraphRequest, item: dict[str, Any]) -> GraphRequest:
    parts = urlsplit("/" + item["url"].lstrip("/"))
    headers = {name.lower(): str(value) for name, value in (item.get("headers") or {}).items()}
    headers.setdefault("user-agent", outer.header("user-agent"))
    # A bulk client marks the whole batch Low; an item may still say otherwise.
    if outer.header("x-ms-throttle-priority"):
        headers.setdefault("x-ms-throttle-priority", outer.header("x-ms-throttle-priority"))
    body = item.get("body")
    return replace(
        outer,
        method=str(item["method"]).upper(),
        path=parts.path,
        params=tuple(parse_qsl(parts.query, keep_blank_values=True)),
        headers=headers,
        body=json.dumps(body).encode() if body is not None else b"",
        request_id=str(uuid.uuid4()),
        client_request_id=headers.get("client-request-id") or outer.client_request_id,
        in_batch=True,
    )


def _failed_dependency(outer: GraphRequest, dependency: str) -> dict[str, Any]:
    error = GraphError(424, "FailedDependency", f"Dependency '{dependency}' failed.")
    return error.envelope(str(uuid.uuid4()), outer.client_request_id)
