"""Which objects a bulk change is for: the ones ticked on a results page, or every object
a query matches ("all N matching"), from find by value, a coverage report's gaps or the
agent board. A selection travels as form fields, so the page that starts a bulk change
needs nothing but a link or a form:

- `target`: one per ticked object, `users:<id>` or `servicePrincipals:<id>`;
- `from` (`find`, `coverage` or `agents`) and `query`: the source page's own query string,
  for all its matches.

Objects are then read with their current values: by id, 20 to a `$batch`, or page by
page from the query, which is read again in full (a bookmark of the results page and
"all N matching" mean the same objects).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from attributes import agents, coverage, export, find, objects
from attributes.directory import Definition
from attributes.objects import DirectoryObject, read_objects
from portal.graph import GraphClient

SOURCES = {
    "find": "Find by value",
    "coverage": "Coverage",
    "agents": "The agent board",
}
MAX_TICKED = 5000
_TARGET = re.compile(
    r"^(users|servicePrincipals):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",
    re.IGNORECASE,
)


class BadSelection(ValueError):
    """The selection's fields do not name objects; the message says what is wrong."""


@dataclass(frozen=True)
class Selection:
    ticked: tuple[tuple[str, str], ...] = ()  # (collection, object id)
    source: str = ""
    query: str = ""

    @classmethod
    def from_data(cls, data: QueryDict) -> Selection:
        source = data.get("from", "")
        if source:
            if source not in SOURCES:
                raise BadSelection(f"Unknown source {source!r} for a selection.")
            return cls(source=source, query=data.get("query", ""))
        ticked = []
        for raw in data.getlist("target"):
            match = _TARGET.match(raw.strip())
            if match is None:
                raise BadSelection(f"{raw[:80]!r} does not name a user or service principal.")
            ticked.append((match.group(1), match.group(2).lower()))
        if not ticked:
            raise BadSelection("Select at least one object, or all the matches of a query.")
        if len(ticked) > MAX_TICKED:
            raise BadSelection(
                f"{len(ticked)} objects are ticked; tick at most {MAX_TICKED}, or choose all "
                "the matches of a query instead."
            )
        return cls(ticked=tuple(dict.fromkeys(ticked)))

    def as_fields(self) -> list[tuple[str, str]]:
        """The selection as hidden form fields, to carry it from page to page."""
        if self.source:
            return [("from", self.source), ("query", self.query)]
        return [("target", f"{c}:{i}") for c, i in self.ticked]

    def describe(self) -> str:
        if self.source:
            return f"{SOURCES[self.source]}: all matches of ?{self.query}"
        return f"{len(self.ticked)} selected object{'s' if len(self.ticked) != 1 else ''}"


def objects_of(
    graph: GraphClient, selection: Selection, definitions: Sequence[Definition]
) -> Iterator[DirectoryObject]:
    """The selected objects with their values; BadSelection if the query is not valid."""
    if not selection.source:
        found = read_objects(graph, list(selection.ticked))
        yield from (found[i] for _, i in selection.ticked if i in found)
        return
    query = QueryDict(selection.query)
    if selection.source == "find":
        yield from _find(graph, query, definitions)
    elif selection.source == "coverage":
        yield from _coverage(graph, query, definitions)
    else:
        yield from _agents(graph, query, definitions)


def _invalid(form: Any) -> BadSelection:
    problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    return BadSelection(f"The query of the selection is not valid: {problems}")


def _find(
    graph: GraphClient, query: QueryDict, definitions: Sequence[Definition]
) -> Iterator[DirectoryObject]:
    form = find.FindForm(query, definitions=definitions)
    if not form.is_valid():
        raise _invalid(form)
    wanted = form.query()
    scope = export.Scope(tabs=tuple(objects.tabs_for(wanted.tab)), columns=(), filter=wanted.filter)
    yield from export.exported_objects(graph, scope)


def _coverage(
    graph: GraphClient, query: QueryDict, definitions: Sequence[Definition]
) -> Iterator[DirectoryObject]:
    form = coverage.CoverageForm(query, definitions=list(definitions))
    if not form.is_valid():
        raise _invalid(form)
    gaps = coverage.gaps(graph, form.chosen(), form.cleaned_data["tab"])
    yield from (target for target, gap in gaps if gap is not None)


def _agents(
    graph: GraphClient, query: QueryDict, definitions: Sequence[Definition]
) -> Iterator[DirectoryObject]:
    choices = {d.id.casefold(): d for d in agents.status_choices(definitions)}
    status = choices.get(query.get("attribute", "").casefold())
    if status is None:
        raise BadSelection("The board's status attribute is not one you can read.")
    wanted = query.get("status")
    board = agents.board(
        graph,
        status,
        status_filter=None if not wanted else agents.NO_STATUS if wanted == "none" else wanted,
        blueprint_filter=query.get("blueprint") or None,
    )
    yield from (agent.target for group in board.groups for agent in group.agents)
