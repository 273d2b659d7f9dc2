"""Coverage: the objects of a kind that lack attributes they should have.

Graph has no filter for "holds no value": `ne` and `not()` also match objects holding other
values (graph-api.md §2.3), so absence is decided here, over every object of the kind read
once, 999 per page with `$select` of what the report shows. Over N objects a report makes
ceil(N / 999) calls, plus ceil(B / 999) for the B blueprint principals when agent
identities are in scope.

For an agent identity both of its surfaces count, as in Microsoft's Zero Trust assessment
(test 61008) and Conditional Access: it has an attribute if it, or its blueprint
principal, holds a value of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms

from attributes import export, objects
from attributes.directory import Definition
from attributes.forms import PortalForm
from attributes.objects import ALL, TAB_BY_KEY, TABS, DirectoryObject, Kind, Tab
from attributes.spreadsheet import csv_lines
from portal.graph import GraphClient, counting_round_trips

SHOWN_GAPS = 200


@dataclass(frozen=True)
class Gap:
    target: DirectoryObject
    missing: tuple[Definition, ...]
    # An agent identity's blueprint principal, the second surface that counts.
    blueprint: DirectoryObject | None = None


@dataclass(frozen=True)
class KindCount:
    kind: Kind
    total: int
    lacking: int

    @property
    def covered(self) -> int:
        return self.total - self.lacking


@dataclass
class Report:
    required: tuple[Definition, ...]
    tab: str
    gaps: list[Gap] = field(default_factory=list)
    counts: list[KindCount] = field(default_factory=list)
    lacking: int = 0
    total: int = 0
    calls: int = 0

    @property
    def truncated(self) -> bool:
        return self.lacking > len(self.gaps)


def _holds(target: DirectoryObject | None, definition: Definition) -> bool:
    return (
        target is not None and target.value(definition.attribute_set, definition.name) is not None
    )


def _blueprints(graph: GraphClient) -> dict[str, DirectoryObject]:
    scope = export.Scope(tabs=(TAB_BY_KEY["agentBlueprints"],), columns=())
    return {b.app_id.lower(): b for b in export.exported_objects(graph, scope) if b.app_id}


def _with_agents(tabs: Sequence[Tab]) -> bool:
    return any(t.collection == "servicePrincipals" and t.key != "managedIdentities" for t in tabs)


def gaps(
    graph: GraphClient, required: Sequence[Definition], tab: str
) -> Iterator[tuple[DirectoryObject, Gap | None]]:
    """Every object in scope, with its gap (None when it holds all it should)."""
    tabs = tuple(objects.tabs_for(tab))
    blueprints = _blueprints(graph) if _with_agents(tabs) else {}
    scope = export.Scope(tabs=tabs, columns=tuple(required))
    for target in export.exported_objects(graph, scope):
        blueprint = (
            blueprints.get(target.blueprint_app_id.lower())
            if target.kind == Kind.AGENT_IDENTITY
            else None
        )
        missing = tuple(d for d in required if not _holds(target, d) and not _holds(blueprint, d))
        yield target, Gap(target, missing, blueprint) if missing else None


def report(
    graph: GraphClient, required: Sequence[Definition], tab: str, *, shown: int = SHOWN_GAPS
) -> Report:
    """Counts per kind, and the first `shown` gaps (the export has them all)."""
    result = Report(tuple(required), tab)
    totals: Counter[Kind] = Counter()
    lacking: Counter[Kind] = Counter()
    with counting_round_trips() as trips:
        for target, gap in gaps(graph, required, tab):
            totals[target.kind] += 1
            if gap is not None:
                lacking[target.kind] += 1
                if len(result.gaps) < shown:
                    result.gaps.append(gap)
    result.counts = [KindCount(kind, totals[kind], lacking[kind]) for kind in Kind if totals[kind]]
    result.total, result.lacking = sum(totals.values()), sum(lacking.values())
    result.calls = trips.count
    return result


def gaps_csv(graph: GraphClient, required: Sequence[Definition], tab: str) -> Iterator[str]:
    """The gap list in the who-has-what format, each object's values of the required
    attributes filled in and the missing ones empty: fill them in and import it."""
    scope = export.Scope(tabs=tuple(objects.tabs_for(tab)), columns=tuple(required), name="gaps")
    rows = export.csv_rows((target for target, gap in gaps(graph, required, tab) if gap), required)
    return csv_lines(export.header(scope), rows)


# The form ---------------------------------------------------------------------------------


class CoverageForm(PortalForm):
    id_prefix = "coverage"
    required = forms.MultipleChoiceField(
        label="Required attributes",
        help_text="An object is covered when it holds a value of every one of them.",
        widget=forms.CheckboxSelectMultiple,
    )
    tab = forms.ChoiceField(
        label="Which objects",
        choices=[(ALL, "Users and service principals"), *[(t.key, t.label) for t in TABS]],
        initial="agentIdentities",
    )

    def __init__(self, *args: Any, definitions: list[Definition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {d.id: d for d in definitions if d.is_active}
        field = self.fields["required"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(d.id, f"{d.attribute_set} / {d.name}") for d in self.definitions.values()]

    def chosen(self) -> list[Definition]:
        return [self.definitions[i] for i in self.cleaned_data["required"]]
