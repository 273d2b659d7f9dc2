"""The agent classification board: every agent identity, grouped by blueprint, by status.

Microsoft's documented pattern (graph-api.md §11.1) tags agents with a multi-valued,
predefined-only `AgentAttributes/AgentApprovalStatus` (New, In_Review, HR_Approved, …) that
Conditional Access then targets. Any predefined attribute can serve as the board's
lifecycle attribute. The board reads every agent identity and every blueprint principal
once (999 per page); a move is one assignment, audited with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from attributes import export
from attributes.directory import Definition
from attributes.objects import TAB_BY_KEY, DirectoryObject, Value
from portal.graph import GraphClient

DEFAULT_STATUS = ("AgentAttributes", "AgentApprovalStatus")
NO_STATUS = ""
NO_BLUEPRINT = ""


@dataclass(frozen=True)
class Agent:
    target: DirectoryObject
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class BlueprintGroup:
    app_id: str
    blueprint: DirectoryObject | None
    agents: list[Agent] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.blueprint is not None:
            return self.blueprint.name
        return f"Blueprint {self.app_id}" if self.app_id else "No blueprint"


@dataclass(frozen=True)
class Board:
    status: Definition
    statuses: tuple[str, ...]
    groups: list[BlueprintGroup]
    counts: dict[str, int]
    total: int
    blueprints: list[BlueprintGroup]


def statuses_of(value: Value | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def status_choices(definitions: Sequence[Definition]) -> list[Definition]:
    """The attributes that can serve as a lifecycle status: predefined-only text values."""
    return [d for d in definitions if d.use_predefined_only and d.type == "String"]


def board(
    graph: GraphClient,
    status: Definition,
    other_columns: Sequence[Definition] = (),
    *,
    status_filter: str | None = None,
    blueprint_filter: str | None = None,
) -> Board:
    """Agents by blueprint, each with its statuses; `status_filter` is a status value (or
    NO_STATUS for untagged agents), `blueprint_filter` a blueprint's app id."""
    columns = (status, *other_columns)
    blueprint_scope = export.Scope(tabs=(TAB_BY_KEY["agentBlueprints"],), columns=columns)
    blueprints = {
        b.app_id.lower(): b for b in export.exported_objects(graph, blueprint_scope) if b.app_id
    }
    scope = export.Scope(tabs=(TAB_BY_KEY["agentIdentities"],), columns=columns)
    groups: dict[str, BlueprintGroup] = {}
    counts = dict.fromkeys((*(v.id for v in status.allowed_values), NO_STATUS), 0)
    total = 0
    for target in export.exported_objects(graph, scope):
        statuses = statuses_of(target.value(status.attribute_set, status.name))
        total += 1
        for value in statuses or (NO_STATUS,):
            counts[value] = counts.get(value, 0) + 1
        app_id = target.blueprint_app_id.lower()
        group = groups.setdefault(app_id, BlueprintGroup(app_id, blueprints.get(app_id)))
        wanted_status = status_filter is None or (
            status_filter in statuses if status_filter else not statuses
        )
        if wanted_status and (blueprint_filter is None or blueprint_filter.lower() == app_id):
            group.agents.append(Agent(target, statuses))
    every = sorted(groups.values(), key=lambda g: g.name.casefold())
    ordered = tuple(v.id for v in status.allowed_values if v.is_active or counts.get(v.id))
    return Board(
        status=status,
        statuses=ordered,
        groups=[g for g in every if g.agents],
        counts=counts,
        total=total,
        blueprints=every,
    )


def moved(
    current: Value | None, from_status: str, to_status: str, *, collection: bool
) -> Value | None:
    """The attribute's value after moving an agent from one status to another: in a
    multi-valued status the one value is replaced, the others stay."""
    statuses = list(statuses_of(current))
    if not collection:
        return to_status or None
    if from_status in statuses:
        statuses.remove(from_status)
    if to_status and to_status not in statuses:
        statuses.append(to_status)
    return statuses or None
