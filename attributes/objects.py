"""Users, service principals and their agent subtypes, as the assignment screens read them.

Eight kinds of object carry custom security attributes (graph-api.md §11.1-11.2): members,
guests and agents' user accounts are users; applications, Microsoft's first-party apps,
managed identities, agent identities and agent blueprint principals are service
principals. A kind is read off each object: its `@odata.type` for the agent subtypes, else
`userType`, `servicePrincipalType` and `appOwnerOrganizationId`.

Values come back under `customSecurityAttributes` only with `$select`, grouped by attribute
set, with `@odata.type` annotations on the sets and on collections (§1.4). Nothing assigned
reads as `null` or as `{}`, and an emptied set as an object with only its annotation
(§11.3): every one of those shapes reads here as "no values".

Writes are not here: attributes.actions.assignments makes them, audited.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urlsplit

from attributes.directory import Definition, attribute_key
from attributes.models import TargetType
from portal.graph import (
    EVENTUAL,
    BatchRequest,
    GraphClient,
    GraphError,
    error_from_batch,
    odata_key,
    odata_string,
    segment,
)

MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
VALUES_PER_OBJECT = 50
PAGE_SIZE = 25
SET_VALUE_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"

AGENT_IDENTITY = "#microsoft.graph.agentIdentity"
AGENT_BLUEPRINT = "#microsoft.graph.agentIdentityBlueprintPrincipal"
AGENT_USER = "#microsoft.graph.agentUser"

Value = str | int | bool | list[str] | list[int]


class Kind(StrEnum):
    MEMBER = "member"
    GUEST = "guest"
    AGENT_USER = "agentUser"
    APPLICATION = "application"
    MICROSOFT_APP = "microsoftApp"
    MANAGED_IDENTITY = "managedIdentity"
    AGENT_IDENTITY = "agentIdentity"
    AGENT_BLUEPRINT = "agentBlueprint"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def collection(self) -> str:
        users = {Kind.MEMBER, Kind.GUEST, Kind.AGENT_USER}
        return "users" if self in users else "servicePrincipals"

    @property
    def graph_type(self) -> str:
        """The Graph entity type its page reads it as (the cast segment for agents)."""
        return _GRAPH_TYPES.get(self, "user" if self.collection == "users" else "servicePrincipal")

    @property
    def is_agent(self) -> bool:
        return self in {Kind.AGENT_IDENTITY, Kind.AGENT_BLUEPRINT, Kind.AGENT_USER}


_KIND_LABELS = {
    Kind.MEMBER: "User",
    Kind.GUEST: "Guest",
    Kind.AGENT_USER: "Agent's user account",
    Kind.APPLICATION: "Application",
    Kind.MICROSOFT_APP: "Microsoft application",
    Kind.MANAGED_IDENTITY: "Managed identity",
    Kind.AGENT_IDENTITY: "Agent identity",
    Kind.AGENT_BLUEPRINT: "Agent blueprint principal",
}
_GRAPH_TYPES = {
    Kind.AGENT_USER: "agentUser",
    Kind.AGENT_IDENTITY: "agentIdentity",
    Kind.AGENT_BLUEPRINT: "agentIdentityBlueprintPrincipal",
}


@dataclass(frozen=True)
class GraphType:
    """An entity type an object page can read: where, and what to select and expand."""

    name: str
    collection: str
    cast: str = ""  # the cast segment for a derived type, e.g. microsoft.graph.agentIdentity
    sponsors: bool = False

    def path(self, object_id: str) -> str:
        base = f"/{self.collection}/{segment(object_id)}"
        return f"{base}/{self.cast}" if self.cast else base


GRAPH_TYPES = {
    t.name: t
    for t in (
        GraphType("user", "users"),
        GraphType("agentUser", "users", "microsoft.graph.agentUser", sponsors=True),
        GraphType("servicePrincipal", "servicePrincipals"),
        GraphType("agentIdentity", "servicePrincipals", "microsoft.graph.agentIdentity", True),
        GraphType(
            "agentIdentityBlueprintPrincipal",
            "servicePrincipals",
            "microsoft.graph.agentIdentityBlueprintPrincipal",
            sponsors=True,
        ),
    )
}

USER_FIELDS = "id,displayName,userPrincipalName,userType,mail,identityParentId"
SERVICE_PRINCIPAL_FIELDS = (
    "id,displayName,appId,servicePrincipalType,appOwnerOrganizationId,agentIdentityBlueprintId"
)


def fields(collection: str, *, values: bool) -> str:
    """The $select of what the screens show of an object (and its values, if asked)."""
    fields = USER_FIELDS if collection == "users" else SERVICE_PRINCIPAL_FIELDS
    return f"{fields},customSecurityAttributes" if values else fields


# Values ---------------------------------------------------------------------------------


def parse_values(raw: Any) -> dict[str, dict[str, Value]]:
    """`customSecurityAttributes` as {set: {attribute: value}}, annotations dropped.

    None, {} and sets holding only their annotation all mean "nothing assigned there".
    """
    parsed: dict[str, dict[str, Value]] = {}
    if not isinstance(raw, dict):  # JSON objects; dict is also much faster to test
        return parsed
    for set_name, attributes in raw.items():
        if not isinstance(attributes, dict):
            continue
        values = {
            name: value
            for name, value in attributes.items()
            if "@" not in name and value is not None and value != []
        }
        if values:
            parsed[str(set_name)] = values
    return parsed


def shown_values(value: Value | None) -> list[str]:
    """A value as people read it: one text per element, Booleans as true and false."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return ["true" if v is True else "false" if v is False else str(v) for v in items]


def count_values(values: Mapping[str, Mapping[str, Value]]) -> int:
    """Values against Graph's limit of 50 per object: each element of a collection counts."""
    return sum(
        len(value) if isinstance(value, list) else 1
        for attributes in values.values()
        for value in attributes.values()
    )


def assignment_payload(definition: Definition, value: Value | None) -> dict[str, Any]:
    """The PATCH body that sets one attribute, or removes it (None; [] for a collection),
    with the `@odata.type` annotations Graph requires (graph-api.md §1.4)."""
    attributes: dict[str, Any] = {"@odata.type": SET_VALUE_TYPE}
    name = definition.name
    if definition.is_collection:
        element = "Int32" if definition.type == "Integer" else "String"
        attributes[f"{name}@odata.type"] = f"#Collection({element})"
        attributes[name] = list(value) if isinstance(value, list) else []
    else:
        if definition.type == "Integer" and value is not None:
            attributes[f"{name}@odata.type"] = "#Int32"
        attributes[name] = value
    return {"customSecurityAttributes": {definition.attribute_set: attributes}}


# Objects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sponsor:
    id: str
    display_name: str
    user_principal_name: str = ""


@dataclass(frozen=True)
class DirectoryObject:
    id: str
    kind: Kind
    display_name: str
    user_principal_name: str = ""
    app_id: str = ""
    # An agent identity's blueprint, by the blueprint's appId.
    blueprint_app_id: str = ""
    # An agent's user account: the agent identity it belongs to.
    parent_id: str = ""
    sponsors: tuple[Sponsor, ...] = ()
    values: dict[str, dict[str, Value]] = field(default_factory=dict)

    @classmethod
    def from_graph(cls, data: Mapping[str, Any], collection: str) -> DirectoryObject:
        return cls(
            id=str(data["id"]),
            kind=kind_of(data, collection),
            display_name=str(data.get("displayName") or ""),
            user_principal_name=str(data.get("userPrincipalName") or ""),
            app_id=str(data.get("appId") or ""),
            blueprint_app_id=str(data.get("agentIdentityBlueprintId") or ""),
            parent_id=str(data.get("identityParentId") or ""),
            sponsors=_sponsors(data.get("sponsors")),
            values=parse_values(data.get("customSecurityAttributes")),
        )

    @property
    def collection(self) -> str:
        return self.kind.collection

    @property
    def target_type(self) -> TargetType:
        return TargetType.USER if self.collection == "users" else TargetType.SERVICE_PRINCIPAL

    @property
    def path(self) -> str:
        """Where values are written: the base collection, whatever the subtype."""
        return f"/{self.collection}/{segment(self.id)}"

    @property
    def name(self) -> str:
        return self.display_name or self.user_principal_name or self.app_id or self.id

    def with_value(self, definition: Definition, value: Value | None) -> DirectoryObject:
        """This object as it is once it holds `value` (None: nothing) for `definition`."""
        values = {name: dict(attrs) for name, attrs in self.values.items()}
        values.setdefault(definition.attribute_set, {})[definition.name] = value  # type: ignore[assignment]
        return replace(self, values=parse_values(values))

    @property
    def values_used(self) -> int:
        return count_values(self.values)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], Value]:
        return {
            attribute_key(set_name, name): value
            for set_name, attributes in self.values.items()
            for name, value in attributes.items()
        }

    def value(self, set_name: str, name: str) -> Value | None:
        return self._by_key.get(attribute_key(set_name, name))

    def values_of(self, keys: Sequence[tuple[str, str]]) -> list[Value | None]:
        """The values of several attributes, by `attribute_key`: one lookup each."""
        held = self._by_key
        return [held.get(key) for key in keys]


def _sponsors(raw: Any) -> tuple[Sponsor, ...]:
    if not raw:
        return ()
    return tuple(
        Sponsor(
            str(s.get("id") or ""),
            str(s.get("displayName") or ""),
            str(s.get("userPrincipalName") or ""),
        )
        for s in raw
        if isinstance(s, dict)
    )


def kind_of(data: Mapping[str, Any], collection: str) -> Kind:
    odata_type = str(data.get("@odata.type") or "")
    if collection == "users":
        if odata_type == AGENT_USER or data.get("identityParentId"):
            return Kind.AGENT_USER
        return Kind.GUEST if data.get("userType") == "Guest" else Kind.MEMBER
    if odata_type == AGENT_IDENTITY or data.get("servicePrincipalType") == "ServiceIdentity":
        return Kind.AGENT_IDENTITY
    if odata_type == AGENT_BLUEPRINT:
        return Kind.AGENT_BLUEPRINT
    if data.get("servicePrincipalType") == "ManagedIdentity":
        return Kind.MANAGED_IDENTITY
    if str(data.get("appOwnerOrganizationId") or "").lower() == MICROSOFT_TENANT_ID:
        return Kind.MICROSOFT_APP
    return Kind.APPLICATION


def get_object(graph: GraphClient, graph_type: GraphType, object_id: str) -> DirectoryObject:
    """One object with its values (and, for agents, its sponsors): one request."""
    params = {"$select": fields(graph_type.collection, values=True)}
    if graph_type.sponsors:
        params["$expand"] = "sponsors($select=id,displayName,userPrincipalName)"
    data = graph.get(graph_type.path(object_id), params=params)
    if graph_type.cast:
        # A cast answer carries no @odata.type of its own: the cast says what it is.
        data = {"@odata.type": f"#{graph_type.cast}", **data}
    return DirectoryObject.from_graph(data, graph_type.collection)


def read_objects(
    graph: GraphClient, refs: Sequence[tuple[str | None, str]]
) -> dict[str, DirectoryObject]:
    """Objects by id with their values, 20 to a $batch: `refs` holds (collection, id)
    pairs, a None collection meaning "a user or a service principal" (tried in that
    order). Ids that name no object are left out; other refusals raise."""
    found: dict[str, DirectoryObject] = {}
    wanted = {"users": [i for c, i in refs if c in {None, "users"}]}
    wanted["servicePrincipals"] = [i for c, i in refs if c == "servicePrincipals"]
    either = {i for c, i in refs if c is None}
    for collection in ("users", "servicePrincipals"):
        ids = list(dict.fromkeys(wanted[collection]))
        select = fields(collection, values=True)
        answers = graph.batch(
            [
                BatchRequest(
                    id=str(n), method="GET", url=f"/{collection}/{segment(i)}?$select={select}"
                )
                for n, i in enumerate(ids)
            ]
        )
        for n, object_id in enumerate(ids):
            answer = answers[str(n)]
            if answer.ok and isinstance(answer.body, dict):
                found[object_id] = DirectoryObject.from_graph(answer.body, collection)
            elif answer.status == 404:
                if collection == "users" and object_id in either:
                    wanted["servicePrincipals"].append(object_id)
            else:
                raise error_from_batch(answer)
    return found


def find_by_app_id(graph: GraphClient, app_id: str) -> DirectoryObject:
    """The service principal of an application, e.g. an agent's blueprint principal."""
    data = graph.get(
        f"/servicePrincipals(appId={odata_key(app_id)})",
        params={"$select": fields("servicePrincipals", values=False)},
    )
    return DirectoryObject.from_graph(data, "servicePrincipals")


# Search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    """A kind tab of the search: one Graph collection, cast or filter."""

    key: str
    label: str
    collection: str
    cast: str = ""
    filter: str = ""

    @property
    def path(self) -> str:
        return f"/{self.collection}/{self.cast}" if self.cast else f"/{self.collection}"


TABS = (
    Tab("users", "Users", "users"),
    Tab("guests", "Guests", "users", filter="userType eq 'Guest'"),
    Tab("agentUsers", "Agents' user accounts", "users", cast="microsoft.graph.agentUser"),
    Tab("servicePrincipals", "Service principals", "servicePrincipals"),
    Tab(
        "microsoftApps",
        "Microsoft applications",
        "servicePrincipals",
        filter=f"appOwnerOrganizationId eq {MICROSOFT_TENANT_ID}",
    ),
    Tab(
        "managedIdentities",
        "Managed identities",
        "servicePrincipals",
        filter="servicePrincipalType eq 'ManagedIdentity'",
    ),
    Tab(
        "agentIdentities",
        "Agent identities",
        "servicePrincipals",
        cast="microsoft.graph.agentIdentity",
    ),
    Tab(
        "agentBlueprints",
        "Agent blueprints",
        "servicePrincipals",
        cast="microsoft.graph.agentIdentityBlueprintPrincipal",
    ),
)
TAB_BY_KEY = {tab.key: tab for tab in TABS}
ALL = "all"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
# $search terms are quoted; a quote or backslash in what is typed cannot be searched for.
_UNSEARCHABLE = re.compile(r'["\\]')


def _query(tab: Tab, text: str, *, top: int, count_only: bool = False) -> dict[str, str]:
    """The query options for a tab: a GUID is looked up as an object id (or app id), anything
    else searched in display names, UPNs and app ids (graph-api.md §2, advanced queries)."""
    params = {"$count": "true", "$top": str(1 if count_only else top)}
    params["$select"] = "id" if count_only else fields(tab.collection, values=False)
    clauses = [tab.filter] if tab.filter else []
    if _GUID.match(text):
        literal = odata_string(text.lower())
        by_id = f"id eq {literal}"
        if tab.collection == "servicePrincipals":
            by_id = f"({by_id} or appId eq {literal})"
        clauses.append(by_id)
    elif term := _UNSEARCHABLE.sub("", text).strip():
        other = "userPrincipalName" if tab.collection == "users" else "appId"
        params["$search"] = f'"displayName:{term}" OR "{other}:{term}"'
    if clauses:
        params["$filter"] = " and ".join(clauses)
    if not count_only and "$search" not in params and not clauses:
        params["$orderby"] = "displayName"
    return params


def relative_url(params: dict[str, str], path: str) -> str:
    return f"{path}?{urlencode(params, safe="$(),':/")}"


@dataclass(frozen=True)
class Listing:
    tab: Tab
    objects: list[DirectoryObject]
    count: int | None
    next_link: str | None = None
    error: str = ""


@dataclass(frozen=True)
class SearchResult:
    text: str
    tab: str
    listings: list[Listing]
    counts: dict[str, int | None]


def search(
    graph: GraphClient, text: str, tab: str = ALL, *, next_link: str | None = None
) -> SearchResult:
    """One page of objects matching `text` in `tab` (or users and service principals side by
    side for `all`), with how many match in every tab: one $batch, one round trip."""
    text = text.strip()[:120]
    top = PAGE_SIZE if tab != ALL else 10
    shown = [
        (listed, relative_url(_query(listed, text, top=top), listed.path))
        for listed in tabs_for(tab)
    ]
    if next_link and tab != ALL:
        shown = [(shown[0][0], relative_link(graph, next_link))]
    counted = [
        (listed, relative_url(_query(listed, text, top=1, count_only=True), listed.path))
        for listed in TABS
    ]
    listings, counts = fetch_listings(graph, shown, counted)
    return SearchResult(text, tab, listings, counts)


def tabs_for(tab: str) -> list[Tab]:
    """The collections a tab lists: `all` is users and service principals side by side."""
    if tab == ALL:
        return [TAB_BY_KEY["users"], TAB_BY_KEY["servicePrincipals"]]
    return [TAB_BY_KEY[tab]]


def fetch_listings(
    graph: GraphClient, shown: list[tuple[Tab, str]], counted: Sequence[tuple[Tab, str]] = ()
) -> tuple[list[Listing], dict[str, int | None]]:
    """Pages of objects (`shown`: each tab with its request URL, relative to the version) and
    `@odata.count`s (`counted`), all in one $batch with the advanced-query header."""
    requests_ = [
        BatchRequest(id=f"list-{index}", method="GET", url=url, headers=dict(EVENTUAL))
        for index, (_, url) in enumerate(shown)
    ] + [
        BatchRequest(id=f"count-{listed.key}", method="GET", url=url, headers=dict(EVENTUAL))
        for listed, url in counted
    ]
    answers = graph.batch(requests_)
    counts: dict[str, int | None] = {}
    for listed, _ in counted:
        answer = answers.get(f"count-{listed.key}")
        body = answer.body if answer is not None and answer.ok else None
        counts[listed.key] = body.get("@odata.count") if isinstance(body, dict) else None
    listings = []
    for index, (listed, _) in enumerate(shown):
        answer = answers.get(f"list-{index}")
        if answer is None or not answer.ok or not isinstance(answer.body, dict):
            listings.append(Listing(listed, [], None, error=_batch_error(answer)))
            continue
        body = answer.body
        listings.append(
            Listing(
                listed,
                [
                    DirectoryObject.from_graph(item, listed.collection)
                    for item in body.get("value", [])
                ],
                body.get("@odata.count", counts.get(listed.key)),
                next_link=body.get("@odata.nextLink"),
            )
        )
    return listings, counts


def _batch_error(answer: Any) -> str:
    if answer is None:
        return "Microsoft Graph did not answer this part of the search."
    error = (answer.body or {}).get("error", {}) if isinstance(answer.body, dict) else {}
    return str(error.get("message") or f"Microsoft Graph answered {answer.status}.")


def is_listing_link(link: str, graph: GraphClient, tab: str) -> bool:
    """Only next-page links of the tab's own collection are followed from a URL."""
    listed = TAB_BY_KEY.get(tab)
    if listed is None:
        return False
    prefix = f"{graph.base_url}/v1.0{listed.path}?"
    return link.startswith(prefix) and link.isprintable() and " " not in link


def relative_link(graph: GraphClient, link: str) -> str:
    # $batch takes URLs relative to the version; a next link is absolute.
    parts = urlsplit(link)
    path = parts.path.split("/v1.0", 1)[1]
    if not link.startswith(f"{graph.base_url}/v1.0/"):
        raise GraphError("That next-page link is not Microsoft Graph's.", code="UnexpectedNextLink")
    return f"{path}?{parts.query}"
