"""Users, service principals and agents: finding them, their attributes, and assigning values.

Round trips: a search is one $batch; an object page reads the object and the definitions;
a save reads the definition, re-reads the object (Graph has no ETag, so this is what
catches a change made meanwhile) and PATCHes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attributes import access, directory, objects
from attributes.access import capabilities, require_attribute_role
from attributes.actions import StaleEdit
from attributes.actions.assignments import ConflictingEdit, set_attribute
from attributes.capabilities import Capabilities
from attributes.directory import Definition
from attributes.forms import AssignmentForm
from attributes.models import AttributeSetPolicy, HelpText
from attributes.objects import VALUES_PER_OBJECT, DirectoryObject, Value
from attributes.runner import run_action
from portal.auth.client import graph_for
from portal.htmx import template_for
from portal.isolation import isolated
from portal.types import PortalRequest


def object_url(target: DirectoryObject) -> str:
    return reverse(
        "attributes:object_detail",
        kwargs={"graph_type": target.kind.graph_type, "object_id": target.id},
    )


def _assignment_url(
    target: DirectoryObject, definition: Definition, name: str = "assignment_edit"
) -> str:
    return reverse(
        f"attributes:{name}",
        kwargs={
            "graph_type": target.kind.graph_type,
            "object_id": target.id,
            "definition_id": definition.id,
        },
    )


# Finding objects ------------------------------------------------------------------------


@require_GET
@require_attribute_role
def object_search(request: PortalRequest) -> HttpResponse:
    """One box over every kind: display name, UPN, app id or object id. Typing refreshes
    the results (htmx, debounced, the stale request cancelled); without JavaScript it is a
    plain GET form. Tabs narrow to one kind; pages follow Graph's next links."""
    caps = capabilities(request)
    text = request.GET.get("q", "")
    tab = request.GET.get("tab", objects.ALL)
    if tab != objects.ALL and tab not in objects.TAB_BY_KEY:
        tab = objects.ALL
    graph = graph_for(request)
    next_link = request.GET.get("page") or None
    link_error = ""
    if next_link and not objects.is_listing_link(next_link, graph, tab):
        link_error = "That next-page link is not one of this list's, so the first page is shown."
        next_link = None
    result = objects.search(graph, text, tab, next_link=next_link)
    context = {
        "caps": caps,
        "result": result,
        "tabs": [(kind_tab, result.counts.get(kind_tab.key)) for kind_tab in objects.TABS],
        "tab": tab,
        "query": text,
        "paged": bool(next_link),
        "link_error": link_error,
    }
    page = template_for(request, "attributes/objects/search.html", "object-results")
    return render(request, page, context)


@require_GET
@require_attribute_role
def object_by_app_id(request: PortalRequest, app_id: str) -> HttpResponse:
    """An application's service principal by its app id, e.g. an agent's blueprint."""
    return redirect(object_url(objects.find_by_app_id(graph_for(request), app_id)))


# An object's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeRow:
    name: str
    value: Value
    definition: Definition | None
    help_text: str = ""
    # Predefined values the object still holds although they were deactivated.
    deactivated_values: tuple[str, ...] = ()
    edit_url: str | None = None

    @property
    def values(self) -> list[str]:
        return objects.shown_values(self.value)


@dataclass(frozen=True)
class SetSection:
    name: str
    readable: bool
    writable: bool
    rows: list[AttributeRow] = field(default_factory=list)
    why_not: str = ""


def _sections(
    caps: Capabilities,
    target: DirectoryObject,
    definitions: list[Definition],
    helps: dict[str, str],
) -> list[SetSection]:
    by_set: dict[str, dict[str, Definition]] = {}
    for definition in definitions:
        by_set.setdefault(definition.attribute_set, {})[definition.name.casefold()] = definition
    names = {s.casefold(): s for s in [*by_set, *target.values]}
    sections = []
    for name in sorted(names.values(), key=str.casefold):
        readable = caps.assignments_read.allows(name)
        writable = caps.assignments_write.allows(name)
        known = next((d for s, d in by_set.items() if s.casefold() == name.casefold()), {})
        held = next((a for s, a in target.values.items() if s.casefold() == name.casefold()), {})
        rows = []
        for attribute, value in sorted(held.items(), key=lambda item: item[0].casefold()):
            held_definition = known.get(attribute.casefold())
            edit_url = (
                _assignment_url(target, held_definition) if held_definition and writable else None
            )
            rows.append(
                AttributeRow(
                    name=attribute,
                    value=value,
                    definition=held_definition,
                    help_text=helps.get(held_definition.id, "") if held_definition else "",
                    deactivated_values=_deactivated(held_definition, value),
                    edit_url=edit_url,
                )
            )
        why_not = "" if readable else caps.why_not_read_set_values(name)
        sections.append(SetSection(name, readable, writable, rows, why_not))
    return sections


def _deactivated(definition: Definition | None, value: Value) -> tuple[str, ...]:
    if definition is None:
        return ()
    items = {str(v) for v in (value if isinstance(value, list) else [value])}
    return tuple(v.id for v in definition.inactive_values if v.id in items)


@require_GET
@require_attribute_role
def object_detail(request: PortalRequest, graph_type: str, object_id: str) -> HttpResponse:
    target = access.object_for(request, graph_type, object_id)
    if target.kind.graph_type != graph_type:
        # Reached through the base type: the subtype's page also shows sponsors.
        return redirect(object_url(target))
    caps = capabilities(request)
    definitions = directory.list_definitions(graph_for(request))
    helps = dict(HelpText.objects.values_list("definition_id", "text"))
    sections = _sections(caps, target, definitions, helps)
    assignable = [
        d for d in definitions if d.is_active and caps.assignments_write.allows(d.attribute_set)
    ]
    context = {
        "caps": caps,
        "target": target,
        "sections": sections,
        "assignable": sorted(
            assignable, key=lambda d: (d.attribute_set.casefold(), d.name.casefold())
        ),
        "limit": VALUES_PER_OBJECT,
        "timeline_url": reverse(
            "attributes:audit_timeline",
            kwargs={"target_type": target.target_type, "target_id": target.id},
        ),
        "partial_sets": not caps.assignments_read.tenant,
    }
    return render(request, "attributes/objects/detail.html", context)


# Assigning -----------------------------------------------------------------------------


@require_GET
@require_attribute_role
def assignment_pick(request: PortalRequest, graph_type: str, object_id: str) -> HttpResponseBase:
    """The picker's answer: the chosen attribute's form (htmx), or its page."""
    definition_id = request.GET.get("attribute", "")
    # An attribute's id is Set_Name, and neither name can hold "/": nothing else has a page.
    if "_" not in definition_id or "/" in definition_id:
        raise Http404("Choose an attribute to assign.")
    try:
        url = reverse(
            "attributes:assignment_edit",
            kwargs={
                "graph_type": graph_type,
                "object_id": object_id,
                "definition_id": definition_id,
            },
        )
    except NoReverseMatch:  # a "/" in it: no attribute is named so
        raise Http404("Choose an attribute to assign.") from None
    if request.htmx:
        return assignment_edit(request, graph_type, object_id, definition_id)
    return redirect(url)


def _split(definition_id: str) -> tuple[str, str]:
    # Set and attribute names cannot hold "_", so a definition id splits unambiguously.
    set_name, _, name = definition_id.partition("_")
    if not set_name or not name:
        raise Http404(f"{definition_id!r} is not an attribute's id.")
    return set_name, name


def _edit_page(
    request: PortalRequest,
    target: DirectoryObject,
    definition: Definition,
    form: AssignmentForm,
    remove_form: AssignmentForm | None = None,
) -> HttpResponse:
    held = target.value(definition.attribute_set, definition.name)
    help_text = HelpText.objects.filter(definition_id=definition.id).first()
    context = {
        "target": target,
        "definition": definition,
        "form": form,
        "remove_form": remove_form
        or _form(request, target, definition, removing=True, bound=False),
        "held": held,
        "held_shown": objects.shown_values(held),
        "held_deactivated": _deactivated(definition, held) if held is not None else (),
        "help_text": help_text.text if help_text else "",
        "object_url": object_url(target),
        "edit_url": _assignment_url(target, definition),
        "remove_url": _assignment_url(target, definition, "assignment_remove"),
        "limit": VALUES_PER_OBJECT,
    }
    # The only htmx request for this page is the picker's, which swaps the form into its
    # panel on the object page.
    page = template_for(
        request, "attributes/objects/assignment.html", "assignment-form", any_target=True
    )
    return render(request, page, context)


def _form(
    request: PortalRequest,
    target: DirectoryObject,
    definition: Definition,
    *,
    removing: bool = False,
    bound: bool = True,
) -> AssignmentForm:
    return AssignmentForm(
        request.POST if bound and request.method == "POST" else None,
        definition=definition,
        current=target,
        reason_required=AttributeSetPolicy.requires_reason(definition.attribute_set),
        removing=removing,
    )


def _conflict(request: PortalRequest, form: AssignmentForm) -> Callable[[StaleEdit], HttpResponse]:
    """Someone changed the attribute since the person loaded it: both versions, side by
    side, and a choice. "Save mine" posts what they submitted again, with what Entra holds
    now as what they saw, so it is checked once more against any later change."""

    def page(stale: StaleEdit) -> HttpResponse:
        if not isinstance(stale, ConflictingEdit):
            raise stale
        seen_field = form.add_prefix("seen")
        resubmit = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in {"csrfmiddlewaretoken", seen_field}
            for value in values
        ]
        context = {
            "target": stale.current,
            "definition": stale.definition,
            "theirs": objects.shown_values(stale.theirs),
            "mine": objects.shown_values(form.cleaned_data["value"]),
            "removing": form.removing,
            "object_url": object_url(stale.current),
            "action": request.path,
            "resubmit": [*resubmit, (seen_field, json.dumps(stale.theirs))],
        }
        return render(request, "attributes/objects/conflict.html", context, status=409)

    return page


def _run(
    request: PortalRequest, target: DirectoryObject, definition: Definition, form: AssignmentForm
) -> HttpResponse | None:
    value = form.cleaned_data["value"]
    if value is None:
        done = format_html(
            "{} was removed from {}.", isolated(definition.name), isolated(target.name)
        )
    else:
        done = format_html("{} of {} was saved.", isolated(definition.name), isolated(target.name))
    return run_action(
        request,
        set_attribute,
        form=form,
        done=done,
        then=object_url,
        stale=_conflict(request, form),
        current=target,
        definition=definition,
        value=value,
        seen=form.cleaned_data["seen"],
        reason=form.cleaned_data["reason"],
    )


@require_http_methods(["GET", "POST"])
@require_attribute_role
def assignment_edit(
    request: PortalRequest, graph_type: str, object_id: str, definition_id: str
) -> HttpResponse:
    set_name, name = _split(definition_id)
    target, definition = access.assignment_for(request, graph_type, object_id, set_name, name)
    form = _form(request, target, definition)
    if (
        request.method == "POST"
        and form.is_valid()
        and (response := _run(request, target, definition, form))
    ):
        return response
    return _edit_page(request, target, definition, form)


@require_POST
@require_attribute_role
def assignment_remove(
    request: PortalRequest, graph_type: str, object_id: str, definition_id: str
) -> HttpResponse:
    set_name, name = _split(definition_id)
    target, definition = access.assignment_for(request, graph_type, object_id, set_name, name)
    form = _form(request, target, definition, removing=True)
    if form.is_valid() and (response := _run(request, target, definition, form)):
        return response
    return _edit_page(
        request,
        target,
        definition,
        _form(request, target, definition, bound=False),
        remove_form=form,
    )
