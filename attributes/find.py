"""Finding objects by the values they hold: conditions, the filter they make, and their form.

Graph filters values with `eq`, `ne`, `startsWith` and `not()`, combined with `and` and
`or`, and only on searchable attributes; such filters are advanced queries, so they need
`ConsistencyLevel: eventual` and `$count=true` (graph-api.md §2.3). Values compare
case-sensitively. On a multi-valued attribute, `eq` holds when any element is the value,
and `ne` (like `not(… eq …)`) when none is, which includes every object that has no value
at all. The index answering them is eventually consistent: a value assigned a moment ago
may not be found yet; reading one object by id is always current.

The query lives in the URL (a1/o1/v1/n1 … for each condition, `match`, `tab`, `col`), so a
search can be bookmarked, shared and exported as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django import forms

from attributes import directory, objects, validators
from attributes.directory import Definition
from attributes.forms import PortalForm, QuickSelect, QuickSelectMultiple
from attributes.objects import ALL, TABS, Listing, Tab

MAX_CONDITIONS = 4
OPERATORS = {"eq": "equals", "ne": "does not equal", "startsWith": "starts with"}
MATCHES = {"all": "all of these (and)", "any": "any of these (or)"}
NOT_SEARCHABLE = (
    "was created not searchable: Graph never indexes its values, so no query can ever filter "
    "by it (and the choice is permanent)."
)


@dataclass(frozen=True)
class Condition:
    definition: Definition
    operator: str
    value: str | int | bool
    negate: bool = False

    def clause(self) -> str:
        prop = directory.value_property(self.definition)
        literal = directory.odata_literal(self.definition, self.value)
        if self.operator == "startsWith":
            clause = f"startsWith({prop},{literal})"
        else:
            clause = f"{prop} {self.operator} {literal}"
        return f"not({clause})" if self.negate else clause

    @property
    def label(self) -> str:
        prefix = "not: " if self.negate else ""
        return (
            f"{prefix}{self.definition.attribute_set} / {self.definition.name} "
            f"{OPERATORS[self.operator]} {self.value}"
        )


@dataclass(frozen=True)
class Query:
    conditions: tuple[Condition, ...]
    match: str = "all"
    tab: str = ALL
    columns: tuple[Definition, ...] = ()

    @property
    def filter(self) -> str:
        joiner = " and " if self.match == "all" else " or "
        return joiner.join(c.clause() for c in self.conditions)

    def params(self, tab: Tab, *, top: int) -> dict[str, str]:
        clauses = [f"({self.filter})" if len(self.conditions) > 1 else self.filter]
        if tab.filter:
            clauses.append(tab.filter)
        return {
            "$filter": " and ".join(clauses),
            "$count": "true",
            "$top": str(top),
            "$select": objects.fields(tab.collection, values=True),
        }

    def graph_requests(self) -> list[str]:
        """The exact requests, for people who script: method, URL and the header."""
        return [
            f"GET /v1.0{objects.relative_url(self.params(tab, top=objects.PAGE_SIZE), tab.path)}"
            for tab in objects.tabs_for(self.tab)
        ]

    @property
    def mentions_negation(self) -> bool:
        return any(c.operator == "ne" or c.negate for c in self.conditions)

    @property
    def mentions_collection(self) -> bool:
        return any(c.definition.is_collection for c in self.conditions)


def run(graph: Any, query: Query, *, next_link: str | None = None) -> list[Listing]:
    """The first page of matching objects for each collection of the query's tab (or the
    page a next link names), with their counts: one $batch."""
    shown = [
        (tab, objects.relative_url(query.params(tab, top=objects.PAGE_SIZE), tab.path))
        for tab in objects.tabs_for(query.tab)
    ]
    if next_link and query.tab != ALL:
        shown = [(shown[0][0], objects.relative_link(graph, next_link))]
    listings, _ = objects.fetch_listings(graph, shown)
    return listings


# The form ---------------------------------------------------------------------------------


def _field_names(row: int) -> tuple[str, str, str, str]:
    return f"a{row}", f"o{row}", f"v{row}", f"n{row}"


class FindForm(PortalForm):
    """Up to four conditions, how they combine, where to look, and what to show."""

    id_prefix = "find"
    match = forms.ChoiceField(
        label="Objects must match",
        choices=list(MATCHES.items()),
        initial="all",
        required=False,
        widget=QuickSelect,
    )
    tab = forms.ChoiceField(
        label="Look among",
        choices=[(ALL, "Users and service principals"), *[(t.key, t.label) for t in TABS]],
        initial=ALL,
        required=False,
        widget=QuickSelect,
    )
    col = forms.MultipleChoiceField(
        label="Show these attributes as columns", required=False, widget=QuickSelectMultiple
    )

    def __init__(self, *args: Any, definitions: Sequence[Definition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {d.id.casefold(): d for d in definitions}
        searchable = [d for d in definitions if d.is_searchable]
        grouped: dict[str, list[tuple[str, str]]] = {}
        for d in sorted(searchable, key=lambda d: (d.attribute_set.casefold(), d.name.casefold())):
            grouped.setdefault(d.attribute_set, []).append((d.id, d.name))
        attribute_choices: list[Any] = [("", "Choose an attribute"), *grouped.items()]
        for row in range(1, MAX_CONDITIONS + 1):
            attribute, operator, value, negate = _field_names(row)
            self.fields[attribute] = forms.ChoiceField(
                label=f"Attribute {row}",
                choices=attribute_choices,
                required=False,
                widget=QuickSelect,
            )
            self.fields[operator] = forms.ChoiceField(
                label=f"Operator {row}",
                choices=list(OPERATORS.items()),
                required=False,
                widget=QuickSelect,
            )
            self.fields[value] = forms.CharField(
                label=f"Value {row}", max_length=validators.VALUE_MAX, required=False, strip=False
            )
            self.fields[negate] = forms.BooleanField(label=f"Not {row}", required=False)
        columns = self.fields["col"]
        assert isinstance(columns, forms.MultipleChoiceField)
        columns.choices = [(d.id, f"{d.attribute_set} / {d.name}") for d in definitions]
        self.not_searchable = [d for d in definitions if not d.is_searchable]

    def rows(self) -> list[list[Any]]:
        """The bound fields of each condition row, for the template."""
        return [[self[name] for name in _field_names(row)] for row in range(1, MAX_CONDITIONS + 1)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        conditions = []
        for row in range(1, MAX_CONDITIONS + 1):
            attribute, operator, value, negate = _field_names(row)
            if not data.get(attribute):
                continue
            definition = self.definitions[data[attribute].casefold()]
            condition = self._condition(
                definition, data.get(operator) or "eq", data.get(value, ""), row
            )
            if condition is not None:
                conditions.append(replace(condition, negate=bool(data.get(negate))))
        if not conditions and not self.errors:
            raise forms.ValidationError("Choose at least one attribute and a value to look for.")
        data["conditions"] = tuple(conditions)
        return data

    def _condition(
        self, definition: Definition, operator: str, raw: str, row: int
    ) -> Condition | None:
        _, operator_field, value_field, _ = _field_names(row)
        if operator == "startsWith" and definition.type != "String":
            self.add_error(
                operator_field,
                f"“starts with” works on text; {definition.name} holds {definition.type} values.",
            )
            return None
        text = raw.strip()
        if definition.type == "Boolean":
            if text.lower() not in {"true", "false"}:
                self.add_error(
                    value_field, f"{definition.name} is true or false; enter one of those."
                )
                return None
            return Condition(definition, operator, text.lower() == "true")
        if not text:
            self.add_error(value_field, "Enter the value to look for.")
            return None
        if definition.type == "Integer":
            if errors := validators.assigned_value_errors(text, type_="Integer"):
                self.add_error(value_field, errors[0])
                return None
            return Condition(definition, operator, int(text))
        if definition.use_predefined_only and operator != "startsWith":
            known = {v.id for v in definition.allowed_values}
            if text not in known:
                self.add_error(
                    value_field,
                    f"{text!r} is not one of {definition.name}'s predefined values, so no object "
                    f"can hold it. Its values: {', '.join(sorted(known))}. Values are "
                    "case-sensitive.",
                )
                return None
        return Condition(definition, operator, text)

    def query(self) -> Query:
        data = self.cleaned_data
        columns = [self.definitions[c.casefold()] for c in data.get("col") or []]
        if not columns:
            seen: dict[str, Definition] = {}
            for condition in data["conditions"]:
                seen.setdefault(condition.definition.id, condition.definition)
            columns = list(seen.values())
        return Query(
            conditions=data["conditions"],
            match=data.get("match") or "all",
            tab=data.get("tab") or ALL,
            columns=tuple(columns),
        )

    def query_string(self, **extra: str) -> str:
        """The form's fields as a query string: the search's own, shareable address."""
        unused = {
            name
            for row in range(1, MAX_CONDITIONS + 1)
            if not self.data.get(_field_names(row)[0])
            for name in _field_names(row)
        }
        pairs = [
            (name, value)
            for name in self.fields
            if name not in unused
            for value in (
                self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            )
            if value
        ]
        return urlencode([*pairs, *extra.items()])
