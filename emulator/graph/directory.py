"""Users and service principals: list, get (by id or UPN), `/me`, and PATCH of values.

Lists support `$select`, `$filter`, `$search`, `$orderby`, `$count` and paging. Filters on
`customSecurityAttributes/{set}/{attribute}` and the `ne`/`not`/`endsWith` operators are
advanced queries: they need `ConsistencyLevel: eventual` and `$count=true` (§2.3).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.graph import access, values
from emulator.graph.context import GraphContext, Reply
from emulator.graph.errors import (
    GraphError,
    bad_request,
    forbidden,
    not_found,
    unsupported_query,
)
from emulator.graph.index import LIVE
from emulator.graph.odata import (
    Field,
    Predicate,
    compile_filter,
    context_suffix,
    paginate,
    parse_filter,
    resolve_select,
)
from emulator.tenant.model import DirectoryObject

CSA = "customSecurityAttributes"
_EMPTY: dict[str, Any] = {}
_DEFAULT = frozenset({"eq", "in", "startswith"})
_WITH_ENDSWITH = frozenset({"eq", "in", "startswith", "endswith"})


@dataclass(frozen=True, slots=True)
class Collection:
    name: str  # the URL segment and context name
    type_name: str
    properties: tuple[str, ...]  # selectable, in response order
    defaults: tuple[str, ...]  # returned without $select
    read_scopes: tuple[str, ...]
    string_fields: dict[str, frozenset[str]]  # filterable string properties and operators
    searchable: tuple[str, ...]
    sortable: tuple[str, ...]
    objects: Callable[[GraphContext], dict[str, DirectoryObject]]


# What Graph returns for a user without $select (Graph's documented default set).
_USER_DEFAULTS = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)

USERS = Collection(
    name="users",
    type_name="microsoft.graph.user",
    properties=(
        *_USER_DEFAULTS,
        "accountEnabled",
        "companyName",
        "createdDateTime",
        "department",
        "employeeId",
        "userType",
        "usageLocation",
        CSA,
    ),
    defaults=_USER_DEFAULTS,
    read_scopes=access.USER_READ_ALL,
    string_fields={
        "id": frozenset({"eq", "in"}),
        "displayName": _DEFAULT,
        "givenName": _DEFAULT,
        "surname": _DEFAULT,
        "userPrincipalName": _WITH_ENDSWITH,
        "mail": _WITH_ENDSWITH,
        "jobTitle": _DEFAULT,
        "department": _DEFAULT,
        "companyName": _DEFAULT,
        "officeLocation": _DEFAULT,
        "employeeId": _DEFAULT,
        "userType": frozenset({"eq", "in"}),
        "usageLocation": frozenset({"eq", "in"}),
    },
    searchable=(
        "displayName",
        "givenName",
        "surname",
        "mail",
        "userPrincipalName",
        "jobTitle",
        "department",
    ),
    sortable=("displayName", "userPrincipalName"),
    objects=lambda ctx: ctx.tenant.users,
)

# What Graph returns for a service principal without $select; customSecurityAttributes
# only when selected.
_SERVICE_PRINCIPAL_DEFAULTS = (
    "id",
    "accountEnabled",
    "alternativeNames",
    "appDisplayName",
    "appId",
    "appOwnerOrganizationId",
    "displayName",
    "publisherName",
    "servicePrincipalNames",
    "servicePrincipalType",
    "signInAudience",
    "tags",
)

SERVICE_PRINCIPALS = Collection(
    name="servicePrincipals",
    type_name="microsoft.graph.servicePrincipal",
    properties=(*_SERVICE_PRINCIPAL_DEFAULTS, CSA),
    defaults=_SERVICE_PRINCIPAL_DEFAULTS,
    read_scopes=access.SP_READ,
    string_fields={
        "id": frozenset({"eq", "in"}),
        "appId": frozenset({"eq", "in"}),
        "displayName": _DEFAULT,
        "appDisplayName": _DEFAULT,
        "publisherName": _DEFAULT,
        "servicePrincipalType": frozenset({"eq", "in"}),
        "appOwnerOrganizationId": frozenset({"eq", "in"}),
        "servicePrincipalNames": frozenset({"eq", "in", "startswith"}),
        "tags": frozenset({"eq", "in"}),
    },
    searchable=("displayName", "appDisplayName", "publisherName"),
    sortable=("displayName",),
    objects=lambda ctx: ctx.tenant.service_principals,
)


# -- rendering ---------------------------------------------------------------------------


def render(
    ctx: GraphContext,
    collection: Collection,
    obj: DirectoryObject,
    selected: tuple[str, ...] | None,
) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in selected or collection.defaults:
        if name == "id":
            item["id"] = obj.id
        elif name == CSA:
            item[CSA] = values.visible_values(ctx, obj)
        else:
            item[name] = obj.properties.get(name)
    return item


def _entity_reply(
    ctx: GraphContext, collection: Collection, obj: DirectoryObject, context_path: str
) -> Reply:
    selected = resolve_select(ctx.request.options, collection.properties, collection.type_name)
    context = ctx.context_url(f"{context_path}{context_suffix(selected)}/$entity")
    return Reply(200, {"@odata.context": context, **render(ctx, collection, obj, selected)})


# -- single objects ----------------------------------------------------------------------


def _find(ctx: GraphContext, collection: Collection, key: str) -> DirectoryObject:
    if collection is USERS:
        found = ctx.tenant.find_user(key)
    elif key.startswith("appId="):
        wanted = key.removeprefix("appId=").lower()
        found = next(
            (
                sp
                for sp in ctx.tenant.service_principals.values()
                if sp.properties["appId"] == wanted
            ),
            None,
        )
    else:
        found = ctx.tenant.find_service_principal(key)
    if found is None:
        raise not_found(key)
    return found


def get_user(ctx: GraphContext, user_id: str) -> Reply:
    if not access.has_scope(ctx.caller, USERS.read_scopes):
        # With only User.Read a caller may still read itself, by id or UPN.
        access.require_scope(ctx.caller, access.USER_READ_SELF)
        access.require(_find(ctx, USERS, user_id).id == ctx.caller.user_id)
    return _entity_reply(ctx, USERS, _find(ctx, USERS, user_id), "users")


def get_me(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.USER_READ_SELF)
    return _entity_reply(ctx, USERS, _me(ctx), "users")


def _me(ctx: GraphContext) -> DirectoryObject:
    if ctx.me is None:
        raise not_found(ctx.caller.user_id)
    return ctx.me


def get_service_principal(ctx: GraphContext, sp_id: str) -> Reply:
    access.require_scope(ctx.caller, SERVICE_PRINCIPALS.read_scopes)
    sp = _find(ctx, SERVICE_PRINCIPALS, sp_id)
    return _entity_reply(ctx, SERVICE_PRINCIPALS, sp, "servicePrincipals")


def patch_user(ctx: GraphContext, user_id: str) -> Reply:
    return _patch(ctx, _find(ctx, USERS, user_id))


def patch_me(ctx: GraphContext) -> Reply:
    return _patch(ctx, _me(ctx))


def patch_service_principal(ctx: GraphContext, sp_id: str) -> Reply:
    return _patch(ctx, _find(ctx, SERVICE_PRINCIPALS, sp_id))


def _patch(ctx: GraphContext, principal: DirectoryObject) -> Reply:
    body = ctx.request.json_object()
    if any(key not in (CSA, "@odata.type") for key in body):
        # Other properties need User.ReadWrite.All or Application.ReadWrite.All, which the
        # emulator never grants.
        raise forbidden()
    if CSA in body:
        values.update(ctx, principal, body[CSA])
    return Reply(204)


def forbid(ctx: GraphContext, **_ids: str) -> Reply:
    """Creating or deleting users and service principals needs scopes no client gets."""
    raise forbidden()


# -- lists -------------------------------------------------------------------------------


def list_users(ctx: GraphContext) -> Reply:
    return _list(ctx, USERS)


def list_service_principals(ctx: GraphContext) -> Reply:
    return _list(ctx, SERVICE_PRINCIPALS)


def count_users(ctx: GraphContext) -> Reply:
    return _count(ctx, USERS)


def count_service_principals(ctx: GraphContext) -> Reply:
    return _count(ctx, SERVICE_PRINCIPALS)


def _list(ctx: GraphContext, collection: Collection) -> Reply:
    access.require_scope(ctx.caller, collection.read_scopes)
    options = ctx.request.options
    selected = resolve_select(options, collection.properties, collection.type_name)
    matches = _matching(ctx, collection)
    page = paginate(matches, options, ctx.request_url)
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url(f"{collection.name}{context_suffix(selected)}")
    }
    if ctx.request.advanced_query and not options.skiptoken:
        body["@odata.count"] = len(matches)  # only on the first page
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    body["value"] = [render(ctx, collection, obj, selected) for obj in page.items]
    return Reply(200, body)


def _count(ctx: GraphContext, collection: Collection) -> Reply:
    access.require_scope(ctx.caller, collection.read_scopes)
    if not ctx.request.consistency_eventual:
        raise bad_request("$count is not currently supported.")
    count = len(_matching(ctx, collection))
    return Reply(200, count, {"Content-Type": "text/plain; charset=utf-8"})


def _matching(ctx: GraphContext, collection: Collection) -> list[DirectoryObject]:
    """Objects that pass $filter and $search, in $orderby order; cached per tenant revision."""
    options = ctx.request.options
    if options.search and not ctx.request.consistency_eventual:
        raise unsupported_query(
            "Request with $search query parameter only works through MSGraph with a special "
            "request header: 'ConsistencyLevel: eventual'"
        )
    predicates: list[Predicate] = []
    index = LIVE
    if options.filter:
        predicate, on_values = _filter_predicate(ctx, collection, options.filter)
        predicates.append(predicate)
        index = ctx.index.view() if on_values else LIVE
    if options.search:
        predicates.append(_search_predicate(collection, options.search))
    ordering = _ordering(ctx, collection)
    key = (
        collection.name, options.filter, options.search, options.orderby,
        ctx.tenant.revision, index.mark,
    )  # fmt: skip
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    objects = collection.objects(ctx).values()
    with index.applied():  # the values as the filter index has them
        if len(predicates) == 1:
            predicate = predicates[0]  # the common case, without a generator per object
            matches = [o for o in objects if predicate(o)]
        else:
            matches = [o for o in objects if all(p(o) for p in predicates)]
    matches = index.shown(matches)
    for sort_key, descending in reversed(ordering):
        matches.sort(key=sort_key, reverse=descending)
    ctx.cache.put(key, matches)
    return matches


def _ordering(
    ctx: GraphContext, collection: Collection
) -> list[tuple[Callable[[DirectoryObject], str], bool]]:
    options = ctx.request.options
    if not options.orderby:
        return []
    if (options.filter or options.search) and not ctx.request.advanced_query:
        raise unsupported_query("Sorting not supported for current query.")
    ordering = []
    for name, descending in options.orderby:
        canonical = next((p for p in collection.sortable if p.lower() == name.lower()), None)
        if canonical is None:
            raise unsupported_query(f"Sorting on property '{name}' is not supported.")
        ordering.append((_sort_key(canonical), descending))
    return ordering


def _sort_key(name: str) -> Callable[[DirectoryObject], str]:
    return lambda obj: str(obj.properties.get(name) or "").casefold()


# -- $filter -----------------------------------------------------------------------------


def _filter_predicate(
    ctx: GraphContext, collection: Collection, text: str
) -> tuple[Predicate, bool]:
    """The predicate, and whether it reads customSecurityAttributes (and so the index)."""
    compiled = compile_filter(parse_filter(text), lambda path: _field(ctx, collection, path))
    csa_fields = [f for f in compiled.fields if f.advanced]
    if csa_fields and not ctx.request.advanced_query:
        raise _csa_filter_error(csa_fields[0].name)
    if compiled.needs_advanced and not ctx.request.advanced_query:
        raise unsupported_query()
    for csa_field in csa_fields:
        access.require_scope(ctx.caller, access.ASSIGNMENT_READ)
        access.require(ctx.access.read_assignments.covers(csa_field.name.split("_", 1)[0]))
    return compiled.predicate, bool(csa_fields)


def _field(ctx: GraphContext, collection: Collection, path: tuple[str, ...]) -> Field:
    if path[0].lower() == CSA.lower():
        return _csa_field(ctx, path)
    name = "/".join(path)
    canonical = next((p for p in collection.string_fields if p.lower() == name.lower()), None)
    if canonical is not None:
        if canonical == "id":
            return Field("id", lambda obj: obj.id, operators=collection.string_fields["id"])
        return Field(
            canonical,
            lambda obj: obj.properties.get(canonical),
            operators=collection.string_fields[canonical],
        )
    if name.lower() == "accountenabled":
        return Field(
            "accountEnabled",
            lambda obj: obj.properties.get("accountEnabled"),
            kind="bool",
            operators=frozenset({"eq"}),
        )
    if name in collection.properties:
        raise unsupported_query("The request uses a filter property that is not indexed")
    raise bad_request(f"Could not find a property named '{name}' on type '{collection.type_name}'.")


def _csa_field(ctx: GraphContext, path: tuple[str, ...]) -> Field:
    label = "_".join(path[1:]) or CSA
    if len(path) != 3:
        raise _csa_filter_error(label)
    definition = ctx.tenant.find_definition_in_set(path[1], path[2])
    if definition is None or not definition.is_searchable:
        raise _csa_filter_error(label)
    set_name, attribute = definition.attribute_set, definition.name
    operators = {"eq", "in"} | ({"startswith"} if definition.type == "String" else set())
    return Field(
        name=definition.id,
        get=lambda obj: obj.csa.get(set_name, _EMPTY).get(attribute),
        kind={"String": "string", "Integer": "number", "Boolean": "bool"}[definition.type],
        operators=frozenset(operators),
        case_sensitive=True,
        advanced=True,
        reject=lambda _reason: _csa_filter_error(definition.id),
    )


def _csa_filter_error(label: str) -> GraphError:
    return unsupported_query(
        f"Unsupported or invalid query filter clause specified for property '{label}' of "
        "resource 'CustomSecurityAttributeValue'."
    )


# -- $search -----------------------------------------------------------------------------

_SEARCH_TOKEN = re.compile(r'"(?P<clause>[^"]*)"|(?P<op>\bAND\b|\bOR\b)', re.IGNORECASE)
_WORD = re.compile(r"\w+")


def _search_predicate(collection: Collection, text: str) -> Predicate:
    """`"displayName:ada" AND "mail:contoso"`: each term word must start a word of the value."""
    clauses: list[Predicate] = []
    operators: list[str] = []
    for match in _SEARCH_TOKEN.finditer(text):
        if match["op"]:
            operators.append(match["op"].upper())
        else:
            clauses.append(_search_clause(collection, match["clause"]))
    if not clauses or len(operators) != len(clauses) - 1:
        raise bad_request(f'Syntax error in $search: {text}. Use "property:value" clauses.')
    if "OR" in operators:
        return lambda obj: any(clause(obj) for clause in clauses)
    return lambda obj: all(clause(obj) for clause in clauses)


def _search_clause(collection: Collection, clause: str) -> Predicate:
    prop, separator, term = clause.partition(":")
    canonical = next((p for p in collection.searchable if p.lower() == prop.lower()), None)
    if not separator or canonical is None:
        raise bad_request(
            f"Invalid $search clause '{clause}': search one of {', '.join(collection.searchable)} "
            'as "property:value".'
        )
    wanted = [w.casefold() for w in _WORD.findall(term)]

    def matches(obj: DirectoryObject) -> bool:
        words = [w.casefold() for w in _WORD.findall(str(obj.properties.get(canonical) or ""))]
        return all(any(word.startswith(part) for word in words) for part in wanted)

    return matches
