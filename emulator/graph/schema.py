"""Attribute sets, custom security attribute definitions and their allowed values.

Every naming, length, limit and immutability rule of graph-api.md §1 and §3 is checked
before anything changes. Nothing here can be deleted (the router answers DELETE with 405).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.graph import access, audits
from emulator.graph.context import GraphContext, Reply
from emulator.graph.errors import (
    GraphError,
    bad_request,
    not_found,
    read_only_property,
    unknown_property,
    unsupported_query,
)
from emulator.graph.odata import (
    Compare,
    Field,
    Logical,
    Node,
    compile_filter,
    context_suffix,
    paginate,
    parse_filter,
    project,
    resolve_select,
)
from emulator.server.web import percent_encode_iri
from emulator.tenant.model import (
    STATUS_AVAILABLE,
    STATUS_DEPRECATED,
    AllowedValue,
    AttributeDefinition,
    AttributeSet,
)

MAX_ATTRIBUTE_SETS = 500
MAX_ACTIVE_DEFINITIONS = 500
MAX_ALLOWED_VALUES = 100
MAX_NAME_LENGTH = 32
MAX_DESCRIPTION_LENGTH = 128
MAX_VALUE_LENGTH = 64
INT32_RANGE = (-(2**31), 2**31 - 1)
TYPES = ("String", "Integer", "Boolean")
STATUSES = (STATUS_AVAILABLE, STATUS_DEPRECATED)
# The 2021 preview list; the id is also a URL path segment (graph-api.md §1.3).
FORBIDDEN_VALUE_CHARACTERS = '#%&*+\\:"/<>?'

SET_TYPE = "microsoft.graph.attributeSet"
DEFINITION_TYPE = "microsoft.graph.customSecurityAttributeDefinition"
VALUE_TYPE = "microsoft.graph.allowedValue"
SET_PROPERTIES = ("description", "id", "maxAttributesPerSet")
DEFINITION_PROPERTIES = (
    "attributeSet",
    "description",
    "id",
    "isCollection",
    "isSearchable",
    "name",
    "status",
    "type",
    "usePreDefinedValuesOnly",
)
VALUE_PROPERTIES = ("id", "isActive")
DELTA_KEY = "allowedValues@delta"


# -- validation helpers ------------------------------------------------------------------


def check_name(value: Any, prop: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise bad_request(f"Property '{prop}' is required and must be a non-empty string.")
    if len(value) > MAX_NAME_LENGTH:
        raise bad_request(
            f"The {what} '{value}' is too long: names are limited to {MAX_NAME_LENGTH} characters."
        )
    if value[0].isdigit():
        raise bad_request(f"The {what} '{value}' is invalid: names cannot start with a number.")
    bad = next((c for c in value if not c.isalnum()), None)
    if bad is not None:
        shown = "a space" if bad == " " else f"'{bad}'"
        raise bad_request(
            f"The {what} '{value}' is invalid: it contains {shown}. Names may contain only "
            "letters and digits, without spaces or special characters."
        )
    return value


def check_description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request("Property 'description' must be a string.")
    if len(value) > MAX_DESCRIPTION_LENGTH:
        raise bad_request(
            f"Property 'description' is too long ({len(value)} characters): the limit is "
            f"{MAX_DESCRIPTION_LENGTH}."
        )
    return value


def check_bool(body: dict[str, Any], prop: str, *, strings_allowed: bool = False) -> bool:
    value = body.get(prop)
    if strings_allowed and value in ("true", "false"):
        return value == "true"  # the docs' own examples send "true" as a string
    if not isinstance(value, bool):
        raise bad_request(f"Property '{prop}' is required and must be true or false.")
    return value


def check_keys(body: dict[str, Any], allowed: tuple[str, ...], type_name: str) -> None:
    for key in body:
        if key not in allowed and key != "@odata.type":
            raise unknown_property(key, type_name)


def _required(body: dict[str, Any], props: tuple[str, ...]) -> None:
    for prop in props:
        if prop not in body:
            raise bad_request(f"Property '{prop}' is required.")


# -- attribute sets ----------------------------------------------------------------------


def _visible_set(ctx: GraphContext, set_id: str) -> AttributeSet:
    access.require_scope(ctx.caller, access.DEFINITION_READ)
    access.require(ctx.access.read_definitions.covers(set_id))
    attribute_set = ctx.tenant.find_set(set_id)
    if attribute_set is None:
        raise not_found(set_id)
    return attribute_set


def list_sets(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.DEFINITION_READ)
    readable = ctx.access.read_definitions
    access.require(readable.granted)
    options = ctx.request.options
    selected = resolve_select(options, SET_PROPERTIES, SET_TYPE)
    sets = [s.to_graph() for s in ctx.tenant.attribute_sets.values() if readable.covers(s.id)]
    if options.filter:
        predicate = compile_filter(parse_filter(options.filter), _set_field).predicate
        sets = [s for s in sets if predicate(s)]
    sets = _order(sets, options.orderby, ("id",))
    page = paginate(sets, options, ctx.request_url)
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url(f"directory/attributeSets{context_suffix(selected)}"),
        "value": [project(s, selected) for s in page.items],
    }
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    return Reply(200, body)


def _set_field(path: tuple[str, ...]) -> Field:
    if "/".join(path).lower() != "id":
        raise unsupported_query(f"Unsupported filter on property '{'/'.join(path)}'.")
    return Field("id", lambda item: item["id"])


def get_set(ctx: GraphContext, set_id: str) -> Reply:
    attribute_set = _visible_set(ctx, set_id)
    selected = resolve_select(ctx.request.options, SET_PROPERTIES, SET_TYPE)
    context = ctx.context_url(f"directory/attributeSets{context_suffix(selected)}/$entity")
    return Reply(200, {"@odata.context": context, **project(attribute_set.to_graph(), selected)})


def create_set(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.DEFINITION_WRITE)
    access.require(ctx.access.define.everything)
    body = ctx.request.json_object()
    check_keys(body, SET_PROPERTIES, SET_TYPE)
    name = check_name(body.get("id"), "id", "attribute set name")
    attribute_set = AttributeSet(
        name,
        check_description(body.get("description")),
        _check_max_attributes(body.get("maxAttributesPerSet"), current=0),
    )
    existing = ctx.tenant.find_set(name)
    if existing is not None:
        raise bad_request(f"An attribute set named '{existing.id}' already exists.")
    if len(ctx.tenant.attribute_sets) >= MAX_ATTRIBUTE_SETS:
        raise bad_request(
            f"The tenant already has {MAX_ATTRIBUTE_SETS} attribute sets, the maximum allowed."
        )
    ctx.tenant.add_set(attribute_set)
    ctx.tenant.touch()
    changes = [
        audits.Change(k, None, v) for k, v in attribute_set.to_graph().items() if v is not None
    ]
    audits.record(ctx, audits.ADD_SET, "Add", audits.schema_target(name), changes)
    location = percent_encode_iri(f"{ctx.base_url}/directory/attributeSets('{name}')")
    context = ctx.context_url("directory/attributeSets/$entity")
    return Reply(
        201, {"@odata.context": context, **attribute_set.to_graph()}, {"Location": location}
    )


def update_set(ctx: GraphContext, set_id: str) -> Reply:
    access.require_scope(ctx.caller, access.DEFINITION_WRITE)
    access.require(ctx.access.define.everything)
    attribute_set = ctx.tenant.find_set(set_id)
    if attribute_set is None:
        raise not_found(set_id)
    body = ctx.request.json_object()
    check_keys(body, SET_PROPERTIES, SET_TYPE)
    if "id" in body and body["id"] != attribute_set.id:
        raise read_only_property("id", SET_TYPE)
    description = attribute_set.description
    if "description" in body:
        description = check_description(body["description"])
    maximum = attribute_set.max_attributes_per_set
    if "maxAttributesPerSet" in body:
        in_use = sum(1 for d in ctx.tenant.definitions_in_set(attribute_set.id) if d.is_active)
        maximum = _check_max_attributes(body["maxAttributesPerSet"], current=in_use)
    changes = [
        audits.Change(name, old, new)
        for name, old, new in (
            ("description", attribute_set.description, description),
            ("maxAttributesPerSet", attribute_set.max_attributes_per_set, maximum),
        )
        if old != new
    ]
    attribute_set.description, attribute_set.max_attributes_per_set = description, maximum
    if changes:
        ctx.tenant.touch()
        audits.record(
            ctx, audits.UPDATE_SET, "Update", audits.schema_target(attribute_set.id), changes
        )
    return Reply(204)


def _check_max_attributes(value: Any, *, current: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 500:
        raise bad_request("Property 'maxAttributesPerSet' must be a whole number from 1 to 500.")
    if value < current:
        raise bad_request(
            f"Property 'maxAttributesPerSet' cannot be {value}: the set already has {current} "
            "active attributes."
        )
    return value


# -- definitions -------------------------------------------------------------------------


def _visible_definition(ctx: GraphContext, definition_id: str) -> AttributeDefinition:
    access.require_scope(ctx.caller, access.DEFINITION_READ)
    set_name = definition_id.split("_", 1)[0]
    access.require(ctx.access.read_definitions.covers(set_name))
    definition = ctx.tenant.find_definition(definition_id)
    if definition is None:
        raise not_found(definition_id)
    return definition


def _writable_definition(ctx: GraphContext, definition_id: str) -> AttributeDefinition:
    access.require_scope(ctx.caller, access.DEFINITION_WRITE)
    access.require(ctx.access.define.covers(definition_id.split("_", 1)[0]))
    definition = ctx.tenant.find_definition(definition_id)
    if definition is None:
        raise not_found(definition_id)
    return definition


def _definition_json(
    definition: AttributeDefinition, selected: tuple[str, ...] | None, expand: bool
) -> dict[str, Any]:
    item = project(definition.to_graph(), selected)
    if expand:
        item["allowedValues"] = [v.to_graph() for v in definition.allowed_values.values()]
    return item


def _expand_allowed_values(ctx: GraphContext) -> bool:
    for name in ctx.request.options.expand:
        if name.lower() != "allowedvalues":
            raise bad_request(
                f"Could not find a property named '{name}' on type '{DEFINITION_TYPE}'."
            )
    return bool(ctx.request.options.expand)


def list_definitions(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.DEFINITION_READ)
    readable = ctx.access.read_definitions
    access.require(readable.granted)
    options = ctx.request.options
    selected = resolve_select(options, DEFINITION_PROPERTIES, DEFINITION_TYPE)
    expand = _expand_allowed_values(ctx)
    definitions = [d for d in ctx.tenant.definitions.values() if readable.covers(d.attribute_set)]
    if options.filter:
        node = parse_filter(options.filter)
        _only_eq_and(node)
        predicate = compile_filter(node, _definition_field).predicate
        definitions = [d for d in definitions if predicate(d.to_graph())]
    page = paginate(definitions, options, ctx.request_url)
    suffix = context_suffix(selected, ("allowedValues",) if expand else ())
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url(f"directory/customSecurityAttributeDefinitions{suffix}"),
        "value": [_definition_json(d, selected, expand) for d in page.items],
    }
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    return Reply(200, body)


def _only_eq_and(node: Node) -> None:
    """The definitions list documents only `eq` joined by `and`."""
    if isinstance(node, Logical) and node.op == "and":
        for operand in node.operands:
            _only_eq_and(operand)
    elif not (isinstance(node, Compare) and node.op == "eq"):
        raise unsupported_query(
            "Unsupported query: customSecurityAttributeDefinitions support only 'eq' "
            "comparisons joined by 'and' in $filter."
        )


_DEFINITION_FILTER_KINDS = {
    "attributeset": ("attributeSet", "string"),
    "id": ("id", "string"),
    "name": ("name", "string"),
    "status": ("status", "string"),
    "type": ("type", "string"),
    "iscollection": ("isCollection", "bool"),
    "issearchable": ("isSearchable", "bool"),
    "usepredefinedvaluesonly": ("usePreDefinedValuesOnly", "bool"),
}


def _definition_field(path: tuple[str, ...]) -> Field:
    key = "/".join(path).lower()
    if key not in _DEFINITION_FILTER_KINDS:
        raise unsupported_query(f"Unsupported filter on property '{'/'.join(path)}'.")
    prop, kind = _DEFINITION_FILTER_KINDS[key]
    return Field(prop, lambda item: item[prop], kind=kind, operators=frozenset({"eq"}))


def get_definition(ctx: GraphContext, definition_id: str) -> Reply:
    definition = _visible_definition(ctx, definition_id)
    selected = resolve_select(ctx.request.options, DEFINITION_PROPERTIES, DEFINITION_TYPE)
    expand = _expand_allowed_values(ctx)
    suffix = context_suffix(selected, ("allowedValues",) if expand else ())
    context = ctx.context_url(f"directory/customSecurityAttributeDefinitions{suffix}/$entity")
    return Reply(200, {"@odata.context": context, **_definition_json(definition, selected, expand)})


def create_definition(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.DEFINITION_WRITE)
    access.require(ctx.access.define.granted)
    body = ctx.request.json_object()
    _required(body, ("attributeSet",))
    access.require(ctx.access.define.covers(str(body["attributeSet"])))
    check_keys(body, (*DEFINITION_PROPERTIES, "allowedValues"), DEFINITION_TYPE)
    if "id" in body:
        raise bad_request(
            "Property 'id' cannot be set: it is generated as '{attributeSet}_{name}'."
        )
    _required(
        body,
        (
            "attributeSet",
            "name",
            "type",
            "isCollection",
            "isSearchable",
            "status",
            "usePreDefinedValuesOnly",
        ),
    )
    definition = _new_definition(ctx, body)
    if definition.is_active:
        _check_capacity(ctx, definition)
    ctx.tenant.add_definition(definition)
    ctx.tenant.touch()
    changes = [audits.Change(k, None, v) for k, v in definition.to_graph().items() if v is not None]
    if definition.allowed_values:
        changes.append(audits.Change("AllowedValues", None, list(definition.allowed_values)))
    audits.record(ctx, audits.ADD_DEFINITION, "Add", audits.schema_target(definition.id), changes)
    location = percent_encode_iri(
        f"{ctx.base_url}/directory/customSecurityAttributeDefinitions('{definition.id}')"
    )
    context = ctx.context_url("directory/customSecurityAttributeDefinitions/$entity")
    return Reply(201, {"@odata.context": context, **definition.to_graph()}, {"Location": location})


def _new_definition(ctx: GraphContext, body: dict[str, Any]) -> AttributeDefinition:
    attribute_set = ctx.tenant.find_set(str(body["attributeSet"]))
    if attribute_set is None:
        raise bad_request(
            f"The attribute set '{body['attributeSet']}' does not exist. Create the set first."
        )
    name = check_name(body.get("name"), "name", "attribute name")
    existing = ctx.tenant.find_definition_in_set(attribute_set.id, name)
    if existing is not None:
        raise bad_request(
            f"An attribute named '{existing.name}' already exists in attribute set "
            f"'{attribute_set.id}'."
        )
    kind = body.get("type")
    if kind not in TYPES:
        raise bad_request(f"Property 'type' must be one of {', '.join(TYPES)}, not {kind!r}.")
    status = body.get("status")
    if status not in STATUSES:
        raise bad_request(f"Property 'status' must be 'Available' or 'Deprecated', not {status!r}.")
    definition = AttributeDefinition(
        attribute_set=attribute_set.id,
        name=name,
        type=kind,
        is_collection=check_bool(body, "isCollection"),
        is_searchable=check_bool(body, "isSearchable"),
        status=status,
        use_predefined_values_only=check_bool(body, "usePreDefinedValuesOnly"),
        description=check_description(body.get("description")),
    )
    if kind == "Boolean" and definition.is_collection:
        raise bad_request(
            "A Boolean attribute cannot be multi-valued: set 'isCollection' to false."
        )
    if kind == "Boolean" and definition.use_predefined_values_only:
        raise bad_request(
            "A Boolean attribute cannot use predefined values: set 'usePreDefinedValuesOnly' "
            "to false."
        )
    for item in _value_list(body.get("allowedValues"), "allowedValues"):
        _check_value_capacity(definition, 1)
        value = _new_allowed_value(definition, item)
        definition.allowed_values[value.id] = value
    return definition


def _value_list(value: Any, prop: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request(f"Property '{prop}' must be an array of allowed values.")
    return value


def _check_capacity(ctx: GraphContext, definition: AttributeDefinition) -> None:
    """Activating one more definition must fit the tenant and the set limits."""
    if ctx.tenant.active_definition_count() >= MAX_ACTIVE_DEFINITIONS:
        raise bad_request(
            f"The tenant already has {MAX_ACTIVE_DEFINITIONS} active attributes, the maximum. "
            "Deactivate an attribute first."
        )
    attribute_set = ctx.tenant.find_set(definition.attribute_set)
    limit = attribute_set.max_attributes_per_set if attribute_set else None
    active = [
        d for d in ctx.tenant.definitions_in_set(definition.attribute_set)
        if d.is_active and d is not definition
    ]  # fmt: skip
    if limit is not None and len(active) >= limit:
        raise bad_request(
            f"Attribute set '{definition.attribute_set}' already has {len(active)} active "
            f"attributes, its maximum (maxAttributesPerSet = {limit})."
        )


def update_definition(ctx: GraphContext, definition_id: str) -> Reply:
    definition = _writable_definition(ctx, definition_id)
    body = ctx.request.json_object()
    mutable = ("description", "status", "usePreDefinedValuesOnly", DELTA_KEY)
    for key in body:
        if key in DEFINITION_PROPERTIES and key not in mutable:
            if body[key] != definition.to_graph()[key]:
                raise read_only_property(key, DEFINITION_TYPE)
        elif key == "allowedValues":
            raise bad_request(
                "Property 'allowedValues' cannot be replaced. Send 'allowedValues@delta' with the "
                "header 'OData-Version: 4.01', or POST to the allowedValues collection."
            )
        elif key not in mutable and key != "@odata.type":
            raise unknown_property(key, DEFINITION_TYPE)
    changes = _apply_definition_update(ctx, definition, body)
    if changes:
        ctx.tenant.touch()
        audits.record(
            ctx, audits.UPDATE_DEFINITION, "Update", audits.schema_target(definition.id), changes
        )
    return Reply(204)


def _apply_definition_update(
    ctx: GraphContext, definition: AttributeDefinition, body: dict[str, Any]
) -> list[audits.Change]:
    """Validate every change first, then apply them all; returns what changed."""
    description = definition.description
    if "description" in body:
        description = check_description(body["description"])
    status = body.get("status", definition.status)
    if status not in STATUSES:
        raise bad_request(f"Property 'status' must be 'Available' or 'Deprecated', not {status!r}.")
    if status == STATUS_AVAILABLE and not definition.is_active:
        _check_capacity(ctx, definition)
    predefined = definition.use_predefined_values_only
    if "usePreDefinedValuesOnly" in body:
        predefined = check_bool(body, "usePreDefinedValuesOnly")
        if predefined and not definition.use_predefined_values_only:
            raise bad_request(
                f"Property 'usePreDefinedValuesOnly' of '{definition.id}' can be changed from "
                "true to false only, never back to true."
            )
    delta = _delta_values(ctx, definition, body) if DELTA_KEY in body else []
    changes = [
        audits.Change(name, old, new)
        for name, old, new in (
            ("description", definition.description, description),
            ("status", definition.status, status),
            ("usePreDefinedValuesOnly", definition.use_predefined_values_only, predefined),
        )
        if old != new
    ]
    definition.description, definition.status = description, status
    definition.use_predefined_values_only = predefined
    for value in delta:
        previous = definition.allowed_values.get(value.id)
        if previous is None or previous.is_active != value.is_active:
            old = None if previous is None else previous.is_active
            changes.append(
                audits.Change(f"AllowedValues/{value.id}/isActive", old, value.is_active)
            )
        definition.allowed_values[value.id] = value
    return changes


def _delta_values(
    ctx: GraphContext, definition: AttributeDefinition, body: dict[str, Any]
) -> list[AllowedValue]:
    if ctx.request.header("odata-version") != "4.01":
        raise bad_request(
            "'allowedValues@delta' needs the request header 'OData-Version: 4.01'; without it "
            "the delta annotation is not understood."
        )
    values: list[AllowedValue] = []
    for item in _value_list(body[DELTA_KEY], DELTA_KEY):
        if isinstance(item, dict) and ("@removed" in item or "@odata.removed" in item):
            raise bad_request(
                "Allowed values cannot be deleted. Deactivate the value with isActive: false."
            )
        existing = definition.allowed_values.get(item.get("id")) if isinstance(item, dict) else None
        if existing is not None:
            values.append(
                AllowedValue(existing.id, check_bool(item, "isActive", strings_allowed=True))
            )
        else:
            values.append(_new_allowed_value(definition, item))
    new_ids = {v.id for v in values if v.id not in definition.allowed_values}
    _check_value_capacity(definition, len(new_ids))
    return values


def _check_value_capacity(definition: AttributeDefinition, adding: int) -> None:
    if len(definition.allowed_values) + adding > MAX_ALLOWED_VALUES:
        raise bad_request(
            f"Attribute '{definition.id}' cannot have more than {MAX_ALLOWED_VALUES} predefined "
            "values."
        )


def _new_allowed_value(definition: AttributeDefinition, item: Any) -> AllowedValue:
    if not isinstance(item, dict):
        raise bad_request("Each allowed value must be an object with 'id' and 'isActive'.")
    check_keys(item, VALUE_PROPERTIES, VALUE_TYPE)
    if definition.type == "Boolean":
        raise bad_request(
            f"Attribute '{definition.id}' is Boolean and cannot have predefined values."
        )
    value_id = item.get("id")
    if not isinstance(value_id, str) or not value_id:
        raise bad_request("Property 'id' of an allowed value is required and must be a string.")
    if len(value_id) > MAX_VALUE_LENGTH:
        raise bad_request(
            f"The allowed value '{value_id}' is too long: values are limited to "
            f"{MAX_VALUE_LENGTH} characters."
        )
    bad = next((c for c in value_id if c in FORBIDDEN_VALUE_CHARACTERS), None)
    if bad is not None:
        raise bad_request(
            f"The allowed value '{value_id}' contains '{bad}', which is not allowed. Values "
            f"cannot contain any of: {' '.join(FORBIDDEN_VALUE_CHARACTERS)}"
        )
    if definition.type == "Integer" and not _is_int32_text(value_id):
        raise bad_request(
            f"The allowed value '{value_id}' is not valid for Integer attribute "
            f"'{definition.id}': use a whole number such as '42'."
        )
    if "isActive" not in item:
        raise bad_request("Property 'isActive' of an allowed value is required.")
    if value_id in definition.allowed_values:
        raise bad_request(f"Attribute '{definition.id}' already has an allowed value '{value_id}'.")
    return AllowedValue(value_id, check_bool(item, "isActive", strings_allowed=True))


def _is_int32_text(text: str) -> bool:
    try:
        number = int(text)
    except ValueError:
        return False
    return str(number) == text and INT32_RANGE[0] <= number <= INT32_RANGE[1]


# -- allowed values ----------------------------------------------------------------------


def _values_context(ctx: GraphContext, definition: AttributeDefinition, suffix: str = "") -> str:
    return ctx.context_url(
        f"directory/customSecurityAttributeDefinitions('{definition.id}')/allowedValues{suffix}"
    )


def list_allowed_values(ctx: GraphContext, definition_id: str) -> Reply:
    definition = _visible_definition(ctx, definition_id)
    options = ctx.request.options
    selected = resolve_select(options, VALUE_PROPERTIES, VALUE_TYPE)
    values = [v.to_graph() for v in definition.allowed_values.values()]
    page = paginate(values, options, ctx.request_url)
    body: dict[str, Any] = {
        "@odata.context": _values_context(ctx, definition, context_suffix(selected)),
        "value": [project(v, selected) for v in page.items],
    }
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    return Reply(200, body)


def _find_value(definition: AttributeDefinition, value_id: str) -> AllowedValue:
    value = definition.allowed_values.get(value_id)
    if value is None:
        raise not_found(value_id)
    return value


def get_allowed_value(ctx: GraphContext, definition_id: str, value_id: str) -> Reply:
    definition = _visible_definition(ctx, definition_id)
    value = _find_value(definition, value_id)
    selected = resolve_select(ctx.request.options, VALUE_PROPERTIES, VALUE_TYPE)
    context = _values_context(ctx, definition, f"{context_suffix(selected)}/$entity")
    return Reply(200, {"@odata.context": context, **project(value.to_graph(), selected)})


def create_allowed_value(ctx: GraphContext, definition_id: str) -> Reply:
    definition = _writable_definition(ctx, definition_id)
    body = ctx.request.json_object()
    if DELTA_KEY in body:
        # Observed on the real service (Microsoft365DSC#7191): a delta body POSTed here fails.
        raise GraphError(
            500, "Service_InternalServerError", "Encountered an internal server error."
        )
    value = _new_allowed_value(definition, body)
    _check_value_capacity(definition, 1)
    definition.allowed_values[value.id] = value
    ctx.tenant.touch()
    change = audits.Change(f"AllowedValues/{value.id}/isActive", None, value.is_active)
    audits.record(
        ctx, audits.UPDATE_DEFINITION, "Update", audits.schema_target(definition.id), [change]
    )
    context = _values_context(ctx, definition, "/$entity")
    return Reply(201, {"@odata.context": context, **value.to_graph()})


def update_allowed_value(ctx: GraphContext, definition_id: str, value_id: str) -> Reply:
    definition = _writable_definition(ctx, definition_id)
    value = _find_value(definition, value_id)
    body = ctx.request.json_object()
    check_keys(body, VALUE_PROPERTIES, VALUE_TYPE)
    if "id" in body and body["id"] != value.id:
        raise read_only_property("id", VALUE_TYPE)
    if "isActive" not in body:
        return Reply(204)
    active = check_bool(body, "isActive", strings_allowed=True)
    if active != value.is_active:
        change = audits.Change(f"AllowedValues/{value.id}/isActive", value.is_active, active)
        value.is_active = active
        ctx.tenant.touch()
        audits.record(
            ctx, audits.UPDATE_DEFINITION, "Update", audits.schema_target(definition.id), [change]
        )
    return Reply(204)


# -- shared ------------------------------------------------------------------------------


def _order(
    items: list[dict[str, Any]], orderby: tuple[tuple[str, bool], ...], allowed: tuple[str, ...]
) -> list[dict[str, Any]]:
    for name, descending in reversed(orderby):
        if name not in allowed:
            raise unsupported_query(f"$orderby is not supported on '{name}'.")
        items = sorted(items, key=_sort_key(name), reverse=descending)
    return items


def _sort_key(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda item: str(item.get(name) or "").casefold()


def deny_delete(ctx: GraphContext, **_ids: str) -> Reply:
    """Nothing in the CSA schema can be deleted, only deactivated (graph-api.md §0)."""
    raise GraphError(
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request uri. Attribute sets, attribute "
        "definitions and allowed values cannot be deleted; deactivate them instead.",
    )
