"""Maps a Graph path to its handler.

Paths are split into decoded segments first; OData key syntax (`definitions('X')`) is
rewritten to a plain segment (`definitions/X`) so both spellings reach the same handler.
Literal segments match without regard to case, as Graph's do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from emulator.graph.context import GraphContext, Reply
from emulator.graph.errors import GraphError, method_not_allowed, unknown_segment

Handler = Callable[..., Reply]
# `name('key')`, or `name(prop='key')` for alternate keys such as servicePrincipals(appId='…')
_KEY_SEGMENT = re.compile(r"^(?P<name>[^(]+)\((?:(?P<prop>\w+)=)?'(?P<key>(?:[^']|'')*)'\)$")


def split_path(raw_path: str) -> list[str]:
    segments: list[str] = []
    for raw in raw_path.strip("/").split("/"):
        if not raw:
            continue
        segment = unquote(raw)
        keyed = _KEY_SEGMENT.match(segment)
        if keyed:
            key = keyed["key"].replace("''", "'")
            segments += [keyed["name"], f"{keyed['prop']}={key}" if keyed["prop"] else key]
        else:
            segments.append(segment)
    return segments


@dataclass(slots=True)
class Route:
    pattern: tuple[str, ...]
    handlers: dict[str, Handler] = field(default_factory=dict)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.pattern):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(self.pattern, segments, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1]] = actual
            elif expected.lower() != actual.lower():
                return None
        return params

    def matches_prefix(self, segments: list[str]) -> bool:
        if len(segments) > len(self.pattern):
            return False
        return all(
            expected.startswith("{") or expected.lower() == actual.lower()
            for expected, actual in zip(self.pattern, segments, strict=False)
        )


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, pattern: str, **handlers: Handler) -> None:
        route = Route(tuple(pattern.strip("/").split("/")))
        route.handlers.update({method.upper(): handler for method, handler in handlers.items()})
        self.routes.append(route)

    def params(self, path: str) -> dict[str, str] | None:
        """The path's parameters (`{"user_id": "…"}`) if a route matches it."""
        segments = split_path(path)
        return next((p for r in self.routes if (p := r.match(segments)) is not None), None)

    def dispatch(self, ctx: GraphContext) -> Reply:
        segments = split_path(ctx.request.path)
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            handler = route.handlers.get(ctx.request.method)
            if handler is None:
                raise method_not_allowed()
            return handler(ctx, **params)
        raise self._not_found(segments)

    def _not_found(self, segments: list[str]) -> GraphError:
        for index in range(len(segments)):
            if not any(route.matches_prefix(segments[: index + 1]) for route in self.routes):
                return unknown_segment(segments[index])
        return unknown_segment(segments[-1] if segments else "")
