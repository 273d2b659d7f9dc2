"""OData query options: parsing `$select`, `$expand`, `$top`, `$skiptoken`, `$orderby`, and
`$filter`.

`$filter` is parsed into a small syntax tree and compiled into a predicate against a
collection-specific field resolver, which decides which properties and operators exist
and which need the advanced-query headers. `isOf('microsoft.graph.x')` asks a second
resolver, for the collection's types.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from emulator.graph.errors import GraphError, bad_request, unsupported_query

# -- query options -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryOptions:
    params: tuple[tuple[str, str], ...]
    select: tuple[str, ...] | None = None
    expand: tuple[str, ...] = ()
    filter: str | None = None
    search: str | None = None
    orderby: tuple[tuple[str, bool], ...] = ()  # (property, descending)
    top: int | None = None
    skiptoken: str | None = None
    count: bool = False


def parse_query(params: Sequence[tuple[str, str]]) -> QueryOptions:
    values = {name.lower(): value for name, value in params}
    top = values.get("$top")
    return QueryOptions(
        params=tuple(params),
        select=_split_list(values["$select"]) if "$select" in values else None,
        expand=_split_top_level(values.get("$expand", "")),
        filter=values.get("$filter") or None,
        search=values.get("$search") or None,
        orderby=_parse_orderby(values.get("$orderby", "")),
        top=_parse_top(top) if top is not None else None,
        skiptoken=values.get("$skiptoken") or None,
        count=values.get("$count", "").lower() == "true",
    )


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _split_top_level(value: str, separator: str = ",") -> tuple[str, ...]:
    """Split on `separator` outside parentheses: `sponsors($select=id,displayName),owners`."""
    parts, depth, current = [], 0, []
    for char in value:
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    parts.append("".join(current))
    return tuple(part.strip() for part in parts if part.strip())


@dataclass(frozen=True, slots=True)
class Expansion:
    """One `$expand` item: a navigation property and its nested `$select`."""

    name: str
    select: tuple[str, ...] | None = None


def parse_expansion(text: str) -> Expansion:
    name, parenthesis, rest = text.partition("(")
    if not parenthesis:
        return Expansion(name.strip())
    if not rest.endswith(")"):
        raise bad_request(f"Invalid $expand clause '{text}': unbalanced parentheses.")
    select: tuple[str, ...] | None = None
    for option in _split_top_level(rest[:-1], ";"):
        key, _, value = option.partition("=")
        if key.strip().lower() != "$select":
            raise bad_request(
                f"The query option '{key.strip()}' is not supported inside $expand; only "
                "$select is."
            )
        select = _split_list(value)
    return Expansion(name.strip(), select)


def _parse_top(value: str) -> int:
    if not value.strip().isdigit():
        raise bad_request(f"Invalid value '{value}' for query option '$top'.")
    return int(value)


def _parse_orderby(value: str) -> tuple[tuple[str, bool], ...]:
    clauses = []
    for part in _split_list(value):
        name, _, direction = part.partition(" ")
        direction = direction.strip().lower()
        if direction not in ("", "asc", "desc"):
            raise bad_request(f"Invalid $orderby direction '{direction}'.")
        clauses.append((name, direction == "desc"))
    return tuple(clauses)


def resolve_select(
    options: QueryOptions, properties: Sequence[str], type_name: str
) -> tuple[str, ...] | None:
    """The selected properties in canonical spelling; 400 for unknown ones."""
    return resolve_names(options.select, properties, type_name)


def resolve_names(
    names: Sequence[str] | None, properties: Sequence[str], type_name: str
) -> tuple[str, ...] | None:
    """`names` (a `$select` list) in canonical spelling; None for everything."""
    if names is None:
        return None
    canonical = {name.lower(): name for name in properties}
    selected = []
    for name in names:
        if name == "*":
            return None
        if name.lower() not in canonical:
            raise bad_request(f"Could not find a property named '{name}' on type '{type_name}'.")
        selected.append(canonical[name.lower()])
    return tuple(dict.fromkeys(selected))


def project(item: dict[str, Any], selected: Sequence[str] | None) -> dict[str, Any]:
    if selected is None:
        return item
    return {name: item.get(name) for name in selected}


def context_suffix(selected: Sequence[str] | None, expanded: Sequence[str] = ()) -> str:
    """`(a,b)` for the `@odata.context` of a projected or expanded collection."""
    parts = [*(selected or ()), *(f"{name}()" for name in expanded)]
    return f"({','.join(parts)})" if parts else ""


# -- paging ------------------------------------------------------------------------------

_SKIPTOKEN_PREFIX = "RFNwdAoA"  # fixed prefix so tokens look like Graph's opaque ones


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_link: str | None


def page_size(options: QueryOptions, default: int, maximum: int) -> int:
    if options.top is None:
        return default
    if not 1 <= options.top <= maximum:
        raise unsupported_query(
            f"Invalid page size specified: '{options.top}'. Must be between 1 and {maximum} "
            "inclusive."
        )
    return options.top


def paginate(
    items: Sequence[Any],
    options: QueryOptions,
    url: str,
    *,
    default: int = 100,
    maximum: int = 999,
) -> Page:
    size = page_size(options, default, maximum)
    offset = decode_skiptoken(options.skiptoken) if options.skiptoken else 0
    window = list(items[offset : offset + size])
    if offset + size >= len(items):
        return Page(window, None)
    return Page(window, next_link(url, options.params, encode_skiptoken(offset + size)))


def encode_skiptoken(offset: int) -> str:
    raw = f"emulator-offset:{offset}".encode()
    return _SKIPTOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> int:
    try:
        body = token.removeprefix(_SKIPTOKEN_PREFIX)
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        prefix, _, offset = raw.partition(":")
        if prefix != "emulator-offset" or not offset.isdigit():
            raise ValueError(raw)
        return int(offset)
    except ValueError as error:
        raise bad_request("The specified page token value has expired or is invalid.") from error


def next_link(url: str, params: Sequence[tuple[str, str]], skiptoken: str) -> str:
    kept = [(name, value) for name, value in params if name.lower() != "$skiptoken"]
    kept.append(("$skiptoken", skiptoken))
    query = "&".join(f"{quote(n, safe='$')}={quote(v, safe=_SAFE)}" for n, v in kept)
    return f"{url}?{query}"


_SAFE = "$',()/:@!*"

# -- $filter syntax tree -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    kind: str  # string | number | bool | null | datetime | guid


@dataclass(frozen=True, slots=True)
class Compare:
    path: tuple[str, ...]
    op: str  # eq ne gt ge lt le
    literal: Literal


@dataclass(frozen=True, slots=True)
class In:
    path: tuple[str, ...]
    literals: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Function:
    name: str  # startswith | endswith
    path: tuple[str, ...]
    literal: Literal


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class Logical:
    op: str  # and | or
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Lambda:
    path: tuple[str, ...]
    variable: str
    body: Node


@dataclass(frozen=True, slots=True)
class IsOf:
    type_name: str  # qualified, e.g. microsoft.graph.agentIdentity


Node = Compare | In | Function | Not | Logical | Lambda | IsOf

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w-])
      | (?P<name>[^\W\d][\w./@-]*)
      | (?P<punct>[(),:])
    )""",
    re.VERBOSE,
)
_COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
_FUNCTIONS = ("startswith", "endswith")


def parse_filter(text: str) -> Node:
    tokens = _tokenize(text)
    parser = _Parser(tokens)
    node = parser.expression()
    if parser.peek() is not None:
        raise _syntax_error(text)
    return node


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _syntax_error(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _syntax_error(text: str) -> GraphError:
    return bad_request(f"Invalid filter clause: syntax error in '{text}'.")


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise bad_request("Invalid filter clause: unexpected end of expression.")
        self.position += 1
        return token

    def expect(self, value: str) -> None:
        _, text = self.take()
        if text.lower() != value:
            raise bad_request(f"Invalid filter clause: expected '{value}' but found '{text}'.")

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "name" and token[1].lower() in words

    def expression(self) -> Node:
        operands = [self.conjunction()]
        while self.at_keyword("or"):
            self.take()
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Logical("or", tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.unary()]
        while self.at_keyword("and"):
            self.take()
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else Logical("and", tuple(operands))

    def unary(self) -> Node:
        if self.at_keyword("not"):
            self.take()
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, text = self.take()
        if text == "(":
            node = self.expression()
            self.expect(")")
            return node
        if kind != "name":
            raise bad_request(f"Invalid filter clause: unexpected '{text}'.")
        if text.lower() in _FUNCTIONS and self._next_is("("):
            return self.function(text.lower())
        if text.lower() == "isof" and self._next_is("("):
            return self.type_test()
        path = tuple(text.split("/"))
        if path[-1].lower() in ("any", "all") and self._next_is("("):
            return self.lambda_(path[:-1])
        return self.comparison(path)

    def _next_is(self, punct: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == punct

    def function(self, name: str) -> Node:
        self.expect("(")
        kind, text = self.take()
        if kind != "name":
            raise bad_request(
                f"Invalid filter clause: {name} needs a property as its first argument."
            )
        self.expect(",")
        literal = self.literal()
        self.expect(")")
        return Function(name, tuple(text.split("/")), literal)

    def type_test(self) -> Node:
        self.expect("(")
        literal = self.literal()
        self.expect(")")
        if literal.kind != "string":
            raise bad_request("Invalid filter clause: isOf needs a quoted type name.")
        return IsOf(str(literal.value))

    def lambda_(self, path: tuple[str, ...]) -> Node:
        self.expect("(")
        _, variable = self.take()
        self.expect(":")
        body = self.expression()
        self.expect(")")
        return Lambda(path, variable, body)

    def comparison(self, path: tuple[str, ...]) -> Node:
        kind, operator = self.take()
        operator = operator.lower()
        if operator == "in":
            self.expect("(")
            literals = [self.literal()]
            while self._next_is(","):
                self.take()
                literals.append(self.literal())
            self.expect(")")
            return In(path, tuple(literals))
        if kind != "name" or operator not in _COMPARISONS:
            raise bad_request(f"Invalid filter clause: unknown operator '{operator}'.")
        return Compare(path, operator, self.literal())

    def literal(self) -> Literal:
        kind, text = self.take()
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"), "string")
        if kind == "number":
            return Literal(float(text) if "." in text else int(text), "number")
        if kind == "datetime":
            return Literal(_parse_datetime(text), "datetime")
        if kind == "guid":
            return Literal(text.lower(), "guid")
        lowered = text.lower()
        if kind == "name" and lowered in ("true", "false"):
            return Literal(lowered == "true", "bool")
        if kind == "name" and lowered == "null":
            return Literal(None, "null")
        raise bad_request(f"Invalid filter clause: '{text}' is not a literal value.")


def _parse_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_request(f"Invalid filter clause: '{text}' is not a valid date.") from error
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- compiling a filter against a collection -------------------------------------------

Getter = Callable[[Any], Any]
Predicate = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Field:
    """A filterable property of one collection."""

    name: str
    get: Getter
    kind: str = "string"  # string | number | bool | datetime | guid
    operators: frozenset[str] = frozenset({"eq", "in", "startswith"})
    case_sensitive: bool = False
    advanced: bool = False  # needs ConsistencyLevel: eventual and $count=true
    reject: Callable[[str], GraphError] | None = None

    def error(self, reason: str) -> GraphError:
        if self.reject is not None:
            return self.reject(reason)
        return unsupported_query(f"Unsupported filter on property '{self.name}': {reason}.")


Resolver = Callable[[tuple[str, ...]], Field]
TypeResolver = Callable[[str], Predicate]

ADVANCED_OPERATORS = frozenset({"ne", "not", "endswith", "isof"})


@dataclass(slots=True)
class CompiledFilter:
    predicate: Predicate
    fields: list[Field] = field(default_factory=list)
    advanced_operators: set[str] = field(default_factory=set)

    @property
    def needs_advanced(self) -> bool:
        return bool(self.advanced_operators) or any(f.advanced for f in self.fields)


def compile_filter(
    node: Node, resolve: Resolver, types: TypeResolver | None = None
) -> CompiledFilter:
    compiled = CompiledFilter(lambda _item: True)
    compiled.predicate = _compile(node, resolve, compiled, types)
    return compiled


def _compile(
    node: Node, resolve: Resolver, out: CompiledFilter, types: TypeResolver | None = None
) -> Predicate:
    if isinstance(node, Logical):
        parts = [_compile(operand, resolve, out, types) for operand in node.operands]
        return _all_of(parts) if node.op == "and" else _any_of(parts)
    if isinstance(node, Not):
        out.advanced_operators.add("not")
        inner = _compile(node.operand, resolve, out, types)
        return lambda item: not inner(item)
    if isinstance(node, IsOf):
        if types is None:
            raise bad_request("Invalid filter clause: isOf is not supported on this resource.")
        out.advanced_operators.add("isof")
        return types(node.type_name)
    if isinstance(node, Lambda):
        return _compile_lambda(node, resolve, out)
    target = resolve(node.path)
    out.fields.append(target)
    if isinstance(node, In):
        values = [_check_literal(target, "in", literal) for literal in node.literals]
        return _membership(target, values)
    operator = node.name if isinstance(node, Function) else node.op
    if operator in ADVANCED_OPERATORS:
        out.advanced_operators.add(operator)
    value = _check_literal(target, operator, node.literal)
    return _comparison(target, operator, value)


def _compile_lambda(node: Lambda, resolve: Resolver, out: CompiledFilter) -> Predicate:
    collection = resolve(node.path)
    out.fields.append(collection)
    prefix = node.variable

    def resolve_inner(path: tuple[str, ...]) -> Field:
        if not path or path[0] != prefix:
            raise bad_request(
                f"Invalid filter clause: '{'/'.join(path)}' must start with '{prefix}/'."
            )
        return resolve((*node.path, "*", *path[1:]))

    inner = _compile(node.body, resolve_inner, out)
    return lambda item: any(inner(element) for element in collection.get(item) or ())


def _all_of(parts: list[Predicate]) -> Predicate:
    # Plain loops: this runs once per object of a 50,000-object tenant for every filter.
    def all_of(item: Any) -> bool:
        for part in parts:  # noqa: SIM110 - all() would build a generator per object
            if not part(item):
                return False
        return True

    return all_of


def _any_of(parts: list[Predicate]) -> Predicate:
    def any_of(item: Any) -> bool:
        for part in parts:  # noqa: SIM110 - any() would build a generator per object
            if part(item):
                return True
        return False

    return any_of


def _check_literal(target: Field, operator: str, literal: Literal) -> Any:
    if operator not in target.operators and not (
        operator in ("ne", "in") and "eq" in target.operators
    ):
        raise target.error(f"operator '{operator}' is not supported")
    if literal.kind == "null":
        return None
    if target.kind == "guid" and literal.kind == "string":
        # OData compares an Edm.Guid only with an unquoted GUID literal.
        kind = "NotEqual" if operator == "ne" else "Equal"
        raise bad_request(
            "A binary operator with incompatible types was detected. Found operand types "
            f"'Edm.Guid' and 'Edm.String' for operator kind '{kind}'."
        )
    if target.kind != literal.kind:
        raise target.error(f"the value must be a {target.kind}")
    if isinstance(literal.value, str) and not target.case_sensitive:
        return literal.value.casefold()
    return literal.value


def _normalise(target: Field, value: Any) -> Any:
    if target.kind == "datetime" and isinstance(value, str):
        return _parse_datetime(value)
    if isinstance(value, str) and not target.case_sensitive:
        return value.casefold()
    return value


def _values(target: Field, item: Any) -> list[Any]:
    raw = target.get(item)
    if raw is None:
        return []
    values = raw if isinstance(raw, list) else [raw]
    if target.case_sensitive and target.kind != "datetime":
        return values  # the fast path for custom security attribute filters
    return [_normalise(target, v) for v in values]


def _membership(target: Field, wanted: list[Any]) -> Predicate:
    wanted_set = set(wanted)
    return lambda item: any(v in wanted_set for v in _values(target, item))


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def _comparison(target: Field, operator: str, value: Any) -> Predicate:
    if (
        operator in ("eq", "ne")
        and value is not None
        and target.case_sensitive
        and target.kind != "datetime"
    ):
        equal = _exact_equality(target.get, value)
        return equal if operator == "eq" else lambda item: not equal(item)
    if operator == "eq":
        if value is None:
            return lambda item: not _values(target, item)
        return lambda item: value in _values(target, item)
    if operator == "ne":
        if value is None:
            return lambda item: bool(_values(target, item))
        return lambda item: value not in _values(target, item)
    if operator == "startswith":
        return lambda item: any(str(v).startswith(value) for v in _values(target, item))
    if operator == "endswith":
        return lambda item: any(str(v).endswith(value) for v in _values(target, item))
    compare = _ORDERING[operator]
    return lambda item: any(compare(v, value) for v in _values(target, item) if v is not None)


def _exact_equality(get: Getter, value: Any) -> Predicate:
    """`eq` without normalisation: equal to a single value, or contained in a collection."""

    def equal(item: Any) -> bool:
        raw = get(item)
        return value in raw if isinstance(raw, list) else raw == value

    return equal
