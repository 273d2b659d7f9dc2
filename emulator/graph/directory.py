"""Users and service principals: list, get (by id or UPN), `/me`, and PATCH of values.

Lists support `$select`, `$filter`, `$search`, `$orderby`, `$count` and paging. Filters on
`customSecurityAttributes/{set}/{attribute}` and the `ne`/`not`/`endsWith`/`isOf`
operators are advanced queries: they need `ConsistencyLevel: eventual` and `$count=true`
(§2.3). The derived types agentIdentity, agentIdentityBlueprintPrincipal and agentUser
(§11.1) have their own cast segments (`/servicePrincipals/microsoft.graph.agentIdentity`),
carry `@odata.type` wherever the context names their base type, and expand `sponsors`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
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
    Expansion,
    Field,
    Predicate,
    compile_filter,
    paginate,
    parse_expansion,
    parse_filter,
    resolve_names,
    resolve_select,
)
from emulator.graph.search import SearchProperty, compile_search
from emulator.tenant.model import (
    AGENT_BLUEPRINT_PRINCIPAL,
    AGENT_IDENTITY,
    AGENT_USER,
    DirectoryObject,
)

CSA = "customSecurityAttributes"
SPONSORS = "sponsors"
_EMPTY: dict[str, Any] = {}
_EQ = frozenset({"eq", "in"})
_DEFAULT = frozenset({"eq", "in", "startswith"})
_WITH_ENDSWITH = frozenset({"eq", "in", "startswith", "endswith"})


@dataclass(frozen=True, slots=True)
class Collection:
    name: str  # the URL path after the version, which is also the context name
    type_name: str
    properties: tuple[str, ...]  # selectable, in response order
    defaults: tuple[str, ...]  # returned without $select
    read_scopes: tuple[str, ...]
    string_fields: dict[str, frozenset[str]]  # filterable string properties and operators
    searchable: tuple[str, ...]
    sortable: tuple[str, ...]
    objects: Callable[[GraphContext], Iterable[DirectoryObject]]
    guid_fields: tuple[str, ...] = ()  # filterable Edm.Guid properties (unquoted literals)
    subtype: str | None = None  # the derived type a cast segment lists
    types: tuple[str, ...] = ()  # the types isOf() may name, unqualified, base type first
    expandable: tuple[str, ...] = ()


def _of_subtype(
    subtype: str, pick: Callable[[GraphContext], dict[str, DirectoryObject]]
) -> Callable[[GraphContext], Iterable[DirectoryObject]]:
    return lambda ctx: (obj for obj in pick(ctx).values() if obj.subtype == subtype)


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
_USER_PROPERTIES = (
    *_USER_DEFAULTS,
    "accountEnabled",
    "companyName",
    "createdDateTime",
    "department",
    "employeeId",
    "userType",
    "usageLocation",
    "identityParentId",  # null except on agent users
    CSA,
)
_USER_FIELDS = {
    "id": _EQ,
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
    "userType": _EQ,
    "usageLocation": _EQ,
    "identityParentId": _EQ,
}
_USER_SEARCHABLE = (
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
    "jobTitle",
    "department",
    "companyName",
    "officeLocation",
    "employeeId",
)

USERS = Collection(
    name="users",
    type_name="microsoft.graph.user",
    properties=_USER_PROPERTIES,
    defaults=_USER_DEFAULTS,
    read_scopes=access.USER_READ_ALL,
    string_fields=_USER_FIELDS,
    searchable=_USER_SEARCHABLE,
    sortable=("displayName", "userPrincipalName"),
    objects=lambda ctx: ctx.tenant.users.values(),
    types=("user", AGENT_USER),
    expandable=(SPONSORS,),
)

AGENT_USERS = Collection(
    name=f"users/microsoft.graph.{AGENT_USER}",
    type_name=f"microsoft.graph.{AGENT_USER}",
    properties=_USER_PROPERTIES,
    defaults=(*_USER_DEFAULTS, "identityParentId"),
    read_scopes=access.USER_READ_ALL,
    string_fields=_USER_FIELDS,
    searchable=_USER_SEARCHABLE,
    sortable=("displayName", "userPrincipalName"),
    objects=_of_subtype(AGENT_USER, lambda ctx: ctx.tenant.users),
    subtype=AGENT_USER,
    types=("user", AGENT_USER),
    expandable=(SPONSORS,),
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
_AGENT_PROPERTIES = (
    "agentIdentityBlueprintId",
    "createdByAppId",
    "createdDateTime",
    "disabledByMicrosoftStatus",
)
# Graph accepts the agent properties in a $select on the base collection too (Microsoft's
# Zero Trust Assessment selects agentIdentityBlueprintId there); other kinds read null.
_SERVICE_PRINCIPAL_PROPERTIES = (*_SERVICE_PRINCIPAL_DEFAULTS, *_AGENT_PROPERTIES, CSA)
_SERVICE_PRINCIPAL_FIELDS = {
    "id": _EQ,
    "appId": _EQ,
    "displayName": _DEFAULT,
    "appDisplayName": _DEFAULT,
    "publisherName": _DEFAULT,
    "servicePrincipalType": _EQ,
    "servicePrincipalNames": _DEFAULT,
    "tags": _EQ,
    "agentIdentityBlueprintId": _EQ,
}
_SERVICE_PRINCIPAL_SEARCHABLE = ("displayName", "appDisplayName", "publisherName", "appId")
_SERVICE_PRINCIPAL_TYPES = ("servicePrincipal", AGENT_IDENTITY, AGENT_BLUEPRINT_PRINCIPAL)

SERVICE_PRINCIPALS = Collection(
    name="servicePrincipals",
    type_name="microsoft.graph.servicePrincipal",
    properties=_SERVICE_PRINCIPAL_PROPERTIES,
    defaults=_SERVICE_PRINCIPAL_DEFAULTS,
    read_scopes=access.SP_READ,
    string_fields=_SERVICE_PRINCIPAL_FIELDS,
    guid_fields=("appOwnerOrganizationId",),
    searchable=_SERVICE_PRINCIPAL_SEARCHABLE,
    sortable=("displayName",),
    objects=lambda ctx: ctx.tenant.service_principals.values(),
    types=_SERVICE_PRINCIPAL_TYPES,
)

AGENT_IDENTITIES = Collection(
    name=f"servicePrincipals/microsoft.graph.{AGENT_IDENTITY}",
    type_name=f"microsoft.graph.{AGENT_IDENTITY}",
    properties=_SERVICE_PRINCIPAL_PROPERTIES,
    defaults=(*_SERVICE_PRINCIPAL_DEFAULTS, *_AGENT_PROPERTIES),
    read_scopes=access.SP_READ,
    string_fields=_SERVICE_PRINCIPAL_FIELDS,
    guid_fields=("appOwnerOrganizationId",),
    searchable=_SERVICE_PRINCIPAL_SEARCHABLE,
    sortable=("displayName",),
    objects=_of_subtype(AGENT_IDENTITY, lambda ctx: ctx.tenant.service_principals),
    subtype=AGENT_IDENTITY,
    types=("servicePrincipal", AGENT_IDENTITY),
    expandable=(SPONSORS,),
)

AGENT_BLUEPRINT_PRINCIPALS = Collection(
    name=f"servicePrincipals/microsoft.graph.{AGENT_BLUEPRINT_PRINCIPAL}",
    type_name=f"microsoft.graph.{AGENT_BLUEPRINT_PRINCIPAL}",
    properties=_SERVICE_PRINCIPAL_PROPERTIES,
    defaults=(*_SERVICE_PRINCIPAL_DEFAULTS, "createdByAppId", "disabledByMicrosoftStatus"),
    read_scopes=access.SP_READ,
    string_fields=_SERVICE_PRINCIPAL_FIELDS,
    guid_fields=("appOwnerOrganizationId",),
    searchable=_SERVICE_PRINCIPAL_SEARCHABLE,
    sortable=("displayName",),
    objects=_of_subtype(AGENT_BLUEPRINT_PRINCIPAL, lambda ctx: ctx.tenant.service_principals),
    subtype=AGENT_BLUEPRINT_PRINCIPAL,
    types=("servicePrincipal", AGENT_BLUEPRINT_PRINCIPAL),
    expandable=(SPONSORS,),
)

# Each derived type's own cast, whose defaults its objects show in base-collection lists.
_OWN_TYPE = {c.subtype: c for c in (AGENT_USERS, AGENT_IDENTITIES, AGENT_BLUEPRINT_PRINCIPALS)}


# -- rendering ---------------------------------------------------------------------------


def render(
    ctx: GraphContext,
    collection: Collection,
    obj: DirectoryObject,
    selected: tuple[str, ...] | None,
    expansion: Expansion | None = None,
    *,
    typed: bool = False,
) -> dict[str, Any]:
    """One object as `collection` lists it. An object of a derived type carries its
    `@odata.type` unless the collection is its own cast (`typed` always adds it, for
    directoryObject contexts); without $select it shows its own type's defaults."""
    item: dict[str, Any] = {}
    if typed or (obj.subtype is not None and obj.subtype != collection.subtype):
        item["@odata.type"] = obj.odata_type
    own = _OWN_TYPE.get(obj.subtype) if collection.subtype is None else None
    for name in selected or (own or collection).defaults:
        if name == "id":
            item["id"] = obj.id
        elif name == CSA:
            item[CSA] = values.visible_values(ctx, obj)
        else:
            item[name] = obj.properties.get(name)
    if expansion is not None:
        item[SPONSORS] = _sponsors(ctx, obj, expansion.select)
    return item


def _sponsors(
    ctx: GraphContext, obj: DirectoryObject, selected: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    """The sponsoring users, as directoryObjects: each with its `@odata.type`."""
    found = (ctx.tenant.find_user(sponsor_id) for sponsor_id in obj.sponsors)
    return [render(ctx, USERS, user, selected, typed=True) for user in found if user is not None]


def _expansion(ctx: GraphContext, collection: Collection) -> Expansion | None:
    """The one `$expand` a directory request may carry: `sponsors`, with a nested $select."""
    requested = ctx.request.options.expand
    if not requested:
        return None
    if len(requested) > 1:
        raise bad_request("Only one property can be expanded in a single query.")
    if ctx.request.advanced_query or ctx.request.options.search:
        raise unsupported_query("$expand is not supported with advanced queries.")
    expansion = parse_expansion(requested[0])
    if expansion.name.lower() not in {name.lower() for name in collection.expandable}:
        raise bad_request(
            f"Could not find a property named '{expansion.name}' on type '{collection.type_name}'."
        )
    selected = resolve_names(expansion.select, USERS.properties, USERS.type_name)
    return Expansion(SPONSORS, selected)


def _suffix(selected: tuple[str, ...] | None, expansion: Expansion | None) -> str:
    """`(a,b,sponsors(id))` for the `@odata.context` of a projected or expanded result."""
    parts = list(selected or ())
    if expansion is not None:
        parts.append(f"{SPONSORS}({','.join(expansion.select or ())})")
    return f"({','.join(parts)})" if parts else ""


def _entity_reply(
    ctx: GraphContext, collection: Collection, obj: DirectoryObject, context_path: str
) -> Reply:
    selected = resolve_select(ctx.request.options, collection.properties, collection.type_name)
    expansion = _expansion(ctx, collection)
    context = ctx.context_url(f"{context_path}{_suffix(selected, expansion)}/$entity")
    item = render(ctx, collection, obj, selected, expansion)
    return Reply(200, {"@odata.context": context, **item})


# -- single objects ----------------------------------------------------------------------


def _find(ctx: GraphContext, collection: Collection, key: str) -> DirectoryObject:
    if collection.name.startswith("users"):
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
    if found is None or (collection.subtype is not None and found.subtype != collection.subtype):
        raise not_found(key)
    return found


def get_user(ctx: GraphContext, user_id: str) -> Reply:
    _require_user_read(ctx, user_id)
    return _entity_reply(ctx, USERS, _find(ctx, USERS, user_id), USERS.name)


def get_agent_user(ctx: GraphContext, user_id: str) -> Reply:
    _require_user_read(ctx, user_id)
    return _entity_reply(ctx, AGENT_USERS, _find(ctx, AGENT_USERS, user_id), AGENT_USERS.name)


def _require_user_read(ctx: GraphContext, user_id: str) -> None:
    if not access.has_scope(ctx.caller, USERS.read_scopes):
        # With only User.Read a caller may still read itself, by id or UPN.
        access.require_scope(ctx.caller, access.USER_READ_SELF)
        access.require(_find(ctx, USERS, user_id).id == ctx.caller.user_id)


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
    return _entity_reply(ctx, SERVICE_PRINCIPALS, sp, SERVICE_PRINCIPALS.name)


def get_agent_identity(ctx: GraphContext, sp_id: str) -> Reply:
    return _get_cast(ctx, AGENT_IDENTITIES, sp_id)


def get_agent_blueprint_principal(ctx: GraphContext, sp_id: str) -> Reply:
    return _get_cast(ctx, AGENT_BLUEPRINT_PRINCIPALS, sp_id)


def _get_cast(ctx: GraphContext, collection: Collection, sp_id: str) -> Reply:
    access.require_scope(ctx.caller, collection.read_scopes)
    return _entity_reply(ctx, collection, _find(ctx, collection, sp_id), collection.name)


def list_user_sponsors(ctx: GraphContext, user_id: str) -> Reply:
    access.require_scope(ctx.caller, USERS.read_scopes)
    return _sponsor_list(ctx, _find(ctx, USERS, user_id))


def list_agent_identity_sponsors(ctx: GraphContext, sp_id: str) -> Reply:
    access.require_scope(ctx.caller, AGENT_IDENTITIES.read_scopes)
    return _sponsor_list(ctx, _find(ctx, AGENT_IDENTITIES, sp_id))


def list_agent_blueprint_principal_sponsors(ctx: GraphContext, sp_id: str) -> Reply:
    access.require_scope(ctx.caller, AGENT_BLUEPRINT_PRINCIPALS.read_scopes)
    return _sponsor_list(ctx, _find(ctx, AGENT_BLUEPRINT_PRINCIPALS, sp_id))


def _sponsor_list(ctx: GraphContext, obj: DirectoryObject) -> Reply:
    """`…/sponsors`: directoryObjects, each with its `@odata.type`."""
    selected = resolve_names(
        ctx.request.options.select, USERS.properties, "microsoft.graph.directoryObject"
    )
    return Reply(
        200,
        {
            "@odata.context": ctx.context_url("directoryObjects"),
            "value": _sponsors(ctx, obj, selected),
        },
    )


def patch_user(ctx: GraphContext, user_id: str) -> Reply:
    return _patch(ctx, _find(ctx, USERS, user_id))


def patch_agent_user(ctx: GraphContext, user_id: str) -> Reply:
    return _patch(ctx, _find(ctx, AGENT_USERS, user_id))


def patch_me(ctx: GraphContext) -> Reply:
    return _patch(ctx, _me(ctx))


def patch_service_principal(ctx: GraphContext, sp_id: str) -> Reply:
    return _patch(ctx, _find(ctx, SERVICE_PRINCIPALS, sp_id))


def patch_agent_identity(ctx: GraphContext, sp_id: str) -> Reply:
    return _patch(ctx, _find(ctx, AGENT_IDENTITIES, sp_id))


def patch_agent_blueprint_principal(ctx: GraphContext, sp_id: str) -> Reply:
    return _patch(ctx, _find(ctx, AGENT_BLUEPRINT_PRINCIPALS, sp_id))


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


def list_agent_users(ctx: GraphContext) -> Reply:
    return _list(ctx, AGENT_USERS)


def list_service_principals(ctx: GraphContext) -> Reply:
    return _list(ctx, SERVICE_PRINCIPALS)


def list_agent_identities(ctx: GraphContext) -> Reply:
    return _list(ctx, AGENT_IDENTITIES)


def list_agent_blueprint_principals(ctx: GraphContext) -> Reply:
    return _list(ctx, AGENT_BLUEPRINT_PRINCIPALS)


def count_users(ctx: GraphContext) -> Reply:
    return _count(ctx, USERS)


def count_agent_users(ctx: GraphContext) -> Reply:
    return _count(ctx, AGENT_USERS)


def count_service_principals(ctx: GraphContext) -> Reply:
    return _count(ctx, SERVICE_PRINCIPALS)


def count_agent_identities(ctx: GraphContext) -> Reply:
    return _count(ctx, AGENT_IDENTITIES)


def count_agent_blueprint_principals(ctx: GraphContext) -> Reply:
    return _count(ctx, AGENT_BLUEPRINT_PRINCIPALS)


def _list(ctx: GraphContext, collection: Collection) -> Reply:
    access.require_scope(ctx.caller, collection.read_scopes)
    options = ctx.request.options
    selected = resolve_select(options, collection.properties, collection.type_name)
    expansion = _expansion(ctx, collection)
    matches = _matching(ctx, collection)
    page = paginate(matches, options, ctx.request_url)
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url(f"{collection.name}{_suffix(selected, expansion)}")
    }
    if ctx.request.advanced_query and not options.skiptoken:
        body["@odata.count"] = len(matches)  # only on the first page
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    if expansion is not None:  # sponsors are other objects: rendered fresh each time
        body["value"] = [render(ctx, collection, obj, selected, expansion) for obj in page.items]
        return Reply(200, body)
    scope = values.visible_scope(ctx)
    shown = (
        collection.name, selected, ctx.settings.empty_values,
        None if scope is None else (scope.everything, scope.names),
    )  # fmt: skip
    body["value"] = [
        ctx.cache.rendered(
            ctx.tenant.revision,
            (*shown, obj.id),
            obj.csa,
            functools.partial(render, ctx, collection, obj, selected),
        )
        for obj in page.items
    ]
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
    objects = collection.objects(ctx)
    with index.applied():  # the values as the filter index has them
        if not predicates:
            matches = list(objects)
        elif len(predicates) == 1:
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
    compiled = compile_filter(
        parse_filter(text),
        lambda path: _field(ctx, collection, path),
        lambda type_name: _type_test(collection, type_name),
    )
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
    guid = next((p for p in collection.guid_fields if p.lower() == name.lower()), None)
    if guid is not None:
        return Field(guid, lambda obj: obj.properties.get(guid), kind="guid", operators=_EQ)
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


def _type_test(collection: Collection, type_name: str) -> Predicate:
    """`isOf('microsoft.graph.agentIdentity')`: the object is of that type or derives from it."""
    wanted = type_name.removeprefix("microsoft.graph.")
    known = next((t for t in collection.types if t.lower() == wanted.lower()), None)
    if known is None or not type_name.lower().startswith("microsoft.graph."):
        raise bad_request(
            f"Invalid filter clause: '{type_name}' is not a type of '{collection.type_name}'."
        )
    if known in ("user", "servicePrincipal"):
        return lambda _obj: True  # every object is of its base type
    return lambda obj: obj.subtype == known


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


# -- $search ---------------------------------------------------------------------------


def _search_predicate(collection: Collection, text: str) -> Predicate:
    """`"displayName:ada" AND "mail:ada"`: tokenised on displayName, a prefix elsewhere."""

    def resolve(name: str) -> SearchProperty | None:
        canonical = next((p for p in collection.searchable if p.lower() == name.lower()), None)
        if canonical is None:
            return None
        return SearchProperty(canonical, lambda obj: obj.properties.get(canonical))

    return compile_search(text, resolve, collection.searchable)
