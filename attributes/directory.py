"""Reads of the custom security attribute schema from Microsoft Graph, as small dataclasses.

Writes are not here: they live in attributes.actions, next to their audit records.
Facts: graph-api.md §1 (resources), §2 (endpoints and shapes), §2.3 (filters).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from portal.graph import EVENTUAL, BatchRequest, GraphClient, odata_string, segment

SETS = "/directory/attributeSets"
DEFINITIONS = "/directory/customSecurityAttributeDefinitions"

AVAILABLE = "Available"
DEPRECATED = "Deprecated"
TYPES = ("String", "Integer", "Boolean")
COUNTED_OBJECTS = ("users", "servicePrincipals")


@dataclass(frozen=True)
class AttributeSet:
    id: str
    description: str = ""
    max_attributes: int | None = None

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> AttributeSet:
        return cls(
            id=data["id"],
            description=data.get("description") or "",
            max_attributes=data.get("maxAttributesPerSet"),
        )

    def as_audit(self) -> dict[str, Any]:
        return {"description": self.description, "maxAttributesPerSet": self.max_attributes}


@dataclass(frozen=True)
class AllowedValue:
    id: str
    is_active: bool = True

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> AllowedValue:
        active = data.get("isActive", True)
        # The docs' own examples send "true"/"false" as strings (graph-api.md §1.3).
        if isinstance(active, str):
            active = active.lower() == "true"
        return cls(id=str(data["id"]), is_active=bool(active))


def attribute_key(set_name: str, name: str) -> tuple[str, str]:
    """How an attribute is looked up: Graph compares set and attribute names without
    regard to case."""
    return set_name.casefold(), name.casefold()


@dataclass(frozen=True)
class Definition:
    id: str
    attribute_set: str
    name: str
    type: str
    is_collection: bool
    is_searchable: bool
    status: str = AVAILABLE
    description: str = ""
    use_predefined_only: bool = False
    allowed_values: tuple[AllowedValue, ...] = field(default=())

    @classmethod
    def from_graph(cls, data: dict[str, Any]) -> Definition:
        return cls(
            id=data["id"],
            attribute_set=data["attributeSet"],
            name=data["name"],
            type=data["type"],
            is_collection=bool(data.get("isCollection")),
            is_searchable=bool(data.get("isSearchable")),
            status=data.get("status") or AVAILABLE,
            description=data.get("description") or "",
            use_predefined_only=bool(data.get("usePreDefinedValuesOnly")),
            allowed_values=tuple(
                AllowedValue.from_graph(v) for v in data.get("allowedValues") or ()
            ),
        )

    @cached_property
    def key(self) -> tuple[str, str]:
        return attribute_key(self.attribute_set, self.name)

    @property
    def is_active(self) -> bool:
        return self.status == AVAILABLE

    @property
    def active_values(self) -> list[AllowedValue]:
        return [v for v in self.allowed_values if v.is_active]

    @property
    def inactive_values(self) -> list[AllowedValue]:
        return [v for v in self.allowed_values if not v.is_active]

    def value(self, value_id: str) -> AllowedValue | None:
        return next((v for v in self.allowed_values if v.id == value_id), None)

    def as_audit(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "status": self.status,
            "usePreDefinedValuesOnly": self.use_predefined_only,
        }


@dataclass(frozen=True)
class SetSummary:
    """A set with the counts the sets list shows."""

    set: AttributeSet
    active: int
    deactivated: int


# Reads --------------------------------------------------------------------------------


# Sets and active definitions are capped at 500 per tenant, so one page of up to 999
# holds them all; nextLink paging still covers a service that pages sooner.
PAGE = {"$top": "999"}
SUMMARY_FIELDS = "id,attributeSet,name,status,type,isCollection,isSearchable"


def list_sets(graph: GraphClient) -> list[AttributeSet]:
    return [AttributeSet.from_graph(item) for item in graph.iterate(SETS, params=PAGE)]


def get_set(graph: GraphClient, name: str) -> AttributeSet:
    return AttributeSet.from_graph(graph.get(f"{SETS}/{segment(name)}"))


def list_definitions(
    graph: GraphClient, attribute_set: str | None = None, *, with_values: bool = True
) -> list[Definition]:
    """Definitions, with their predefined values unless `with_values` is off (counts only)."""
    params = (
        {**PAGE, "$expand": "allowedValues"} if with_values else {**PAGE, "$select": SUMMARY_FIELDS}
    )
    if attribute_set is not None:
        params["$filter"] = f"attributeSet eq {odata_string(attribute_set)}"
    return [Definition.from_graph(item) for item in graph.iterate(DEFINITIONS, params=params)]


def get_definition(graph: GraphClient, attribute_set: str, name: str) -> Definition | None:
    """One definition with its values (one request: a filtered list with $expand)."""
    params = {
        "$expand": "allowedValues",
        "$filter": (
            f"attributeSet eq {odata_string(attribute_set)} and name eq {odata_string(name)}"
        ),
    }
    items = graph.page(DEFINITIONS, params=params).items
    return Definition.from_graph(items[0]) if items else None


def summarise_sets(
    sets: Iterable[AttributeSet], definitions: Iterable[Definition]
) -> list[SetSummary]:
    active: dict[str, int] = {}
    deactivated: dict[str, int] = {}
    for definition in definitions:
        counter = active if definition.is_active else deactivated
        key = definition.attribute_set.casefold()
        counter[key] = counter.get(key, 0) + 1
    return [
        SetSummary(s, active.get(s.id.casefold(), 0), deactivated.get(s.id.casefold(), 0))
        for s in sorted(sets, key=lambda s: s.id.casefold())
    ]


# Counting holders ---------------------------------------------------------------------


def value_property(definition: Definition) -> str:
    """The attribute's path in a filter, e.g. customSecurityAttributes/Engineering/Project."""
    return f"customSecurityAttributes/{definition.attribute_set}/{definition.name}"


def odata_literal(definition: Definition, value: str | int | bool) -> str:
    """A value as the filter literal of the attribute's type: quoted text, a bare number."""
    if definition.type == "Integer":
        return str(int(value))
    if definition.type == "Boolean":
        return "true" if value is True or str(value).lower() == "true" else "false"
    return odata_string(str(value))


def holder_filter(definition: Definition) -> str | None:
    """A filter matching every object that holds any value of the attribute, if one exists.

    Graph offers eq, ne, not and startsWith on attribute values, and no "is set"
    test. Strings: every value starts with the empty string. Booleans: true or false.
    Predefined-only integers: any of the values. Free-form integers: no filter can
    say it, so they cannot be counted.
    """
    if not definition.is_searchable:
        return None
    prop = value_property(definition)
    if definition.type == "String":
        return f"startsWith({prop},'')"
    if definition.type == "Boolean":
        return f"{prop} eq true or {prop} eq false"
    if definition.use_predefined_only and definition.allowed_values:
        return " or ".join(
            f"{prop} eq {odata_literal(definition, v.id)}" for v in definition.allowed_values
        )
    return None


def value_filter(definition: Definition, value: str) -> str:
    return f"{value_property(definition)} eq {odata_literal(definition, value)}"


def _count_request(request_id: str, collection: str, odata_filter: str) -> BatchRequest:
    query = urlencode(
        {"$filter": odata_filter, "$count": "true", "$top": "1", "$select": "id"},
        safe="$(),'/",
    )
    return BatchRequest(
        id=request_id, method="GET", url=f"/{collection}?{query}", headers=dict(EVENTUAL)
    )


def count_objects(graph: GraphClient, filters: dict[str, str]) -> dict[str, dict[str, int | None]]:
    """Counts users and service principals per named filter, in $batch requests.

    Returns {name: {"users": n, "servicePrincipals": n}}; None where Graph refused.
    """
    requests_ = [
        _count_request(f"{index}-{collection}", collection, odata_filter)
        for index, odata_filter in enumerate(filters.values())
        for collection in COUNTED_OBJECTS
    ]
    answers = graph.batch(requests_) if requests_ else {}
    counts: dict[str, dict[str, int | None]] = {}
    for index, name in enumerate(filters):
        counts[name] = {}
        for collection in COUNTED_OBJECTS:
            answer = answers.get(f"{index}-{collection}")
            body = answer.body if answer is not None and answer.ok else None
            counts[name][collection] = body.get("@odata.count") if isinstance(body, dict) else None
    return counts
