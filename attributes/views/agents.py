"""The agent classification board: agents by blueprint and status, and moving an agent on."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from django import forms
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from attributes import access, agents
from attributes.access import capabilities, require_attribute_role
from attributes.actions.assignments import set_attribute
from attributes.directory import Definition
from attributes.forms import PortalForm, QuickSelect, ReasonField
from attributes.runner import run_action
from portal.auth.client import graph_for
from portal.isolation import isolated, isolated_option
from portal.types import PortalRequest


class MoveForm(PortalForm):
    """Moving one agent from a status to another; the reason is required."""

    agent = forms.CharField(widget=forms.HiddenInput)
    status_attribute = forms.CharField(widget=forms.HiddenInput)
    from_status = forms.ChoiceField(label="From", required=False, widget=QuickSelect)
    to_status = forms.ChoiceField(label="To", widget=QuickSelect)
    reason = ReasonField(
        required=True,
        help_text="Why the agent moves; it goes into the audit log.",
        error_messages={"required": "Give the reason for the move: it goes into the audit log."},
    )
    seen = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    back = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, status: Definition, statuses: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        held = [(s, isolated_option(s)) for s in statuses]
        self._choice("from_status").choices = (
            [(agents.NO_STATUS, "No status"), *held]
            if not statuses or status.is_collection
            else held
        )
        self._choice("to_status").choices = [
            (v.id, isolated_option(v.id)) for v in status.active_values
        ]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean_seen(self) -> Any:
        try:
            return json.loads(self.cleaned_data["seen"] or "null")
        except ValueError:
            raise forms.ValidationError("The form was changed; reload the board.") from None


def _status(
    request: PortalRequest, definitions: list[Definition], wanted: str
) -> Definition | None:
    choices = agents.status_choices(definitions)
    default = "_".join(agents.DEFAULT_STATUS).casefold()
    by_id = {d.id.casefold(): d for d in choices}
    return by_id.get((wanted or default).casefold()) or (choices[0] if choices else None)


@require_GET
@require_attribute_role
def agent_board(request: PortalRequest) -> HttpResponse:
    return _board(request, request.GET)


def _board(
    request: PortalRequest,
    query: QueryDict,
    failed: tuple[str, MoveForm] | None = None,
    status_code: int = 200,
) -> HttpResponse:
    """The board for the filters in `query`; `failed` is an agent's move form that was
    refused, shown in its row with its errors."""
    caps = capabilities(request)
    definitions = access.readable_definitions(request)
    status = _status(request, definitions, query.get("attribute", ""))
    context: dict[str, Any] = {
        "caps": caps,
        "status": status,
        "status_choices": agents.status_choices(definitions),
        # "none" asks for the agents without a status; absent, for every agent.
        "status_filter": _status_filter(query.get("status")),
        "blueprint_filter": query.get("blueprint") or "",
    }
    if status is not None:
        others = [
            d
            for d in definitions
            if d.attribute_set.casefold() == status.attribute_set.casefold() and d.id != status.id
        ]
        board = agents.board(
            graph_for(request),
            status,
            others,
            status_filter=context["status_filter"],
            blueprint_filter=context["blueprint_filter"] or None,
        )
        writable = caps.assignments_write.allows(status.attribute_set)
        shown = [agent for group in board.groups for agent in group.agents]
        forms_by_agent: dict[str, MoveForm] = {}
        if writable:
            for index, agent in enumerate(shown):
                form = _move_form(status, agent, query.urlencode())
                if failed is not None and failed[0] == agent.target.id:
                    form = failed[1]
                form.auto_id = f"move-{index}-%s"  # every row's form has its own ids
                forms_by_agent[agent.target.id] = form
        context.update(
            board=board,
            board_query=_with_attribute(query, status),
            shown_count=len(shown),
            others=others,
            writable=writable,
            why_not_move=caps.why_not_assign(status.attribute_set),
            forms=forms_by_agent,
        )
    return render(request, "attributes/agents/board.html", context, status=status_code)


def _with_attribute(query: QueryDict, status: Definition) -> str:
    """The board's query with its status attribute named, for "all N matching"."""
    kept = query.copy()
    kept["attribute"] = status.id
    return kept.urlencode()


def _status_filter(value: str | None) -> str | None:
    if not value:
        return None
    return agents.NO_STATUS if value == "none" else value


def _move_form(status: Definition, agent: agents.Agent, back: str) -> MoveForm:
    return MoveForm(
        status=status,
        statuses=agent.statuses,
        initial={
            "agent": agent.target.id,
            "status_attribute": status.id,
            "from_status": agent.statuses[0] if agent.statuses else agents.NO_STATUS,
            "seen": json.dumps(agent.target.value(status.attribute_set, status.name)),
            "back": back,
        },
    )


@require_POST
@require_attribute_role
def agent_move(request: PortalRequest) -> HttpResponse:
    """One agent from one status to another, audited with its reason."""
    set_name, _, name = request.POST.get("status_attribute", "").partition("_")
    if not set_name or not name:
        raise Http404("Choose the board's status attribute.")
    target, status = access.assignment_for(
        request, "agentIdentity", request.POST.get("agent", ""), set_name, name
    )
    current = target.value(status.attribute_set, status.name)
    form = MoveForm(request.POST, status=status, statuses=agents.statuses_of(current))
    back = _board_query(request.POST.get("back", ""))
    if not form.is_valid():
        return _board(request, back, failed=(target.id, form), status_code=400)
    data = form.cleaned_data
    value = agents.moved(
        data["seen"], data["from_status"], data["to_status"], collection=status.is_collection
    )
    board_url = reverse("attributes:agent_board")
    response = run_action(
        request,
        set_attribute,
        form=form,
        done=format_html(
            "{} moved from {} to {}.",
            isolated(target.name),
            isolated(data["from_status"] or "no status"),
            isolated(data["to_status"]),
        ),
        then=f"{board_url}?{back.urlencode()}" if back else board_url,
        current=target,
        definition=status,
        value=value,
        seen=data["seen"],
        reason=data["reason"],
    )
    # Graph refused: its reason is on the form, shown in the agent's row.
    return response or _board(request, back, failed=(target.id, form), status_code=400)


def _board_query(query: str) -> QueryDict:
    # Only the board's own filters come back from the form: never another address.
    kept = QueryDict(mutable=True)
    for key, value in parse_qsl(query):
        if key in {"attribute", "status", "blueprint"}:
            kept.appendlist(key, value)
    return kept
