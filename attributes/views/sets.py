"""Attribute sets: the list with its limits, creating and editing a set, and the set page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from attributes import directory, validators
from attributes.access import capabilities, require_attribute_role
from attributes.actions import StaleEdit
from attributes.actions.definitions import create_set, update_set
from attributes.audit import Actor
from attributes.directory import AttributeSet
from attributes.forms import AttributeSetCreateForm, AttributeSetEditForm
from attributes.models import HelpText
from attributes.views.graph_forms import graph_error_to_form
from portal.auth.client import graph_for
from portal.graph import GraphError
from portal.types import PortalRequest

STATUS_FILTERS = ("active", "deactivated", "all")


def readable_set(request: PortalRequest, name: str) -> None:
    reach = capabilities(request).definitions_read
    if not reach.allows(name):
        raise PermissionDenied(
            f"Your roles cover {reach.label}, not the attribute set {name}. Reading it needs "
            "Attribute Definition Reader or Administrator, or an Attribute Assignment role, "
            f"for the whole tenant or for {name}."
        )


@require_GET
@require_attribute_role
def set_list(request: PortalRequest) -> HttpResponse:
    caps = capabilities(request)
    if not caps.definitions_read:
        raise PermissionDenied(
            "Browsing attribute sets needs Attribute Definition Reader or Administrator, or an "
            "Attribute Assignment role."
        )
    graph = graph_for(request)
    sets = directory.list_sets(graph)
    definitions = directory.list_definitions(graph, with_values=False)
    summaries = [
        s
        for s in directory.summarise_sets(sets, definitions)
        if caps.definitions_read.allows(s.set.id)
    ]
    query = request.GET.get("q", "").strip()
    shown = [
        s
        for s in summaries
        if query.casefold() in s.set.id.casefold()
        or query.casefold() in s.set.description.casefold()
    ]
    context = {
        "caps": caps,
        "summaries": shown,
        "query": query,
        "total_sets": len(sets),
        "active_definitions": sum(1 for d in definitions if d.is_active),
        "limits": validators,
    }
    template = "attributes/sets/list.html"
    if request.htmx and request.htmx.target == "set-rows":
        template += "#set-rows"
    return render(request, template, context)


@require_GET
@require_attribute_role
def check_set_name(request: PortalRequest) -> HttpResponse:
    """Live feedback on a new set's name while it is typed."""
    name = request.GET.get("name", "")
    errors = (
        validators.new_name_errors(
            name,
            lambda: [s.id for s in directory.list_sets(graph_for(request))],
            what="attribute set",
            among="an attribute set",
        )
        if name
        else []
    )
    return render(request, "attributes/_name_feedback.html", {"name": name, "errors": errors})


@require_http_methods(["GET", "POST"])
@require_attribute_role
def set_create(request: PortalRequest) -> HttpResponse:
    caps = capabilities(request)
    if not caps.sets_write:
        raise PermissionDenied(caps.why_not_write_sets())
    graph = graph_for(request)
    existing = [s.id for s in directory.list_sets(graph)] if request.method == "POST" else []
    form = AttributeSetCreateForm(
        request.POST if request.method == "POST" else None,
        existing_names=existing,
        check_url=reverse("attributes:check_set_name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = request.POST.get("confirm")
        if step == "yes":
            try:
                created = create_set(
                    graph=graph,
                    actor=Actor.from_request(request),
                    name=data["name"],
                    description=data["description"],
                    max_attributes=data["max_attributes"],
                    reason=data["reason"],
                )
            except GraphError as exc:
                graph_error_to_form(form, exc, fields={"name": ("id", "name")})
            else:
                messages.success(request, f"The attribute set {created.id} was created.")
                return redirect("attributes:set_detail", name=created.id)
        elif step != "edit":
            return render(request, "attributes/sets/review.html", {"form": form, "data": data})
    return render(request, "attributes/sets/create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_attribute_role
def set_edit(request: PortalRequest, name: str) -> HttpResponse:
    caps = capabilities(request)
    if not caps.sets_write:
        raise PermissionDenied(caps.why_not_write_sets())
    graph = graph_for(request)
    current = directory.get_set(graph, name)
    in_use = sum(
        1 for d in directory.list_definitions(graph, current.id, with_values=False) if d.is_active
    )
    initial = {
        "description": current.description,
        "max_attributes": current.max_attributes,
        "seen_description": current.description,
        "seen_max_attributes": current.max_attributes,
    }
    form = AttributeSetEditForm(
        request.POST if request.method == "POST" else None, initial=initial, in_use=in_use
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seen = AttributeSet(current.id, data["seen_description"], data["seen_max_attributes"])
        try:
            update_set(
                graph=graph,
                actor=Actor.from_request(request),
                seen=seen,
                description=data["description"],
                max_attributes=data["max_attributes"],
                reason=data["reason"],
            )
        except StaleEdit as stale:
            messages.warning(
                request, f"{stale} Its current values are shown; check them and save again."
            )
            form = AttributeSetEditForm(initial=initial, in_use=in_use)
        except GraphError as exc:
            graph_error_to_form(form, exc, fields={"max_attributes": ("maxAttributesPerSet",)})
        else:
            messages.success(request, f"The attribute set {current.id} was updated.")
            return redirect("attributes:set_detail", name=current.id)
    return render(
        request,
        "attributes/sets/edit.html",
        {"form": form, "attribute_set": current, "in_use": in_use},
    )


@require_GET
@require_attribute_role
def set_detail(request: PortalRequest, name: str) -> HttpResponse:
    readable_set(request, name)
    caps = capabilities(request)
    graph = graph_for(request)
    attribute_set = directory.get_set(graph, name)
    definitions = directory.list_definitions(graph, attribute_set.id)
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    shown = [
        d
        for d in sorted(definitions, key=lambda d: d.name.casefold())
        if status == "all" or d.is_active == (status == "active")
    ]
    helps = dict(
        HelpText.objects.filter(definition_id__in=[d.id for d in shown]).values_list(
            "definition_id", "text"
        )
    )
    active = sum(1 for d in definitions if d.is_active)
    context = {
        "caps": caps,
        "attribute_set": attribute_set,
        "rows": [(d, helps.get(d.id, "")) for d in shown],
        "status": status,
        "active_count": active,
        "deactivated_count": len(definitions) - active,
        "can_write": caps.definitions_write.allows(attribute_set.id),
        "why_not_write": caps.why_not_write_definitions(attribute_set.id),
        "limits": validators,
    }
    template = "attributes/sets/detail.html"
    if request.htmx and request.htmx.target == "definitions":
        template += "#definitions"
    return render(request, template, context)
