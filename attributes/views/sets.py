"""Attribute sets: the list with its limits, creating and editing a set, and the set page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attributes import access, directory, validators
from attributes.access import capabilities, require_attribute_role
from attributes.actions.sets import create_set, set_reason_required, update_set
from attributes.directory import AttributeSet
from attributes.forms import AttributeSetCreateForm, AttributeSetEditForm, SetPolicyForm
from attributes.models import AttributeSetPolicy, HelpText
from attributes.runner import Review, confirm_step, run_action
from portal.auth.client import graph_for
from portal.htmx import template_for
from portal.isolation import isolated
from portal.types import PortalRequest

STATUS_FILTERS = ("active", "deactivated", "all")


def _set_url(attribute_set: AttributeSet) -> str:
    return reverse("attributes:set_detail", kwargs={"name": attribute_set.id})


@require_GET
@require_attribute_role
def set_list(request: PortalRequest) -> HttpResponse:
    reach = access.browsable_sets(request)
    graph = graph_for(request)
    sets = directory.list_sets(graph)
    definitions = directory.list_definitions(graph, with_values=False)
    summaries = [s for s in directory.summarise_sets(sets, definitions) if reach.allows(s.set.id)]
    query = request.GET.get("q", "").strip()
    shown = [
        s
        for s in summaries
        if query.casefold() in s.set.id.casefold()
        or query.casefold() in s.set.description.casefold()
    ]
    context = {
        "caps": capabilities(request),
        "summaries": shown,
        "query": query,
        "total_sets": len(sets),
        "active_definitions": sum(1 for d in definitions if d.is_active),
        "limits": validators,
    }
    return render(request, template_for(request, "attributes/sets/list.html", "set-rows"), context)


@require_GET
@require_attribute_role
def check_set_name(request: PortalRequest) -> HttpResponse:
    """Live feedback on a new set's name while it is typed."""
    access.may_change_sets(request)
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


def _review(data: dict[str, Any]) -> Review:
    name = data["name"]
    return Review(
        page_title="Review the new attribute set",
        title=format_html("Create the attribute set “{}”?", isolated(name)),
        warning="This cannot be undone.",
        permanent=[
            format_html(
                "The name <strong>{}</strong> can never be changed, and the set can never be "
                "deleted. Entra keeps at most {} attribute sets.",
                isolated(name),
                validators.SETS_PER_TENANT,
            )
        ],
        facts=[
            ("Name", name),
            ("Description", data["description"]),
            ("Maximum attributes", data["max_attributes"] or "no maximum of its own"),
            ("Reason", data["reason"]),
        ],
        confirm=format_html("Create {}", isolated(name)),
        breadcrumbs=[("Attribute sets", reverse("attributes:set_list"))],
    )


@require_http_methods(["GET", "POST"])
@require_attribute_role
def set_create(request: PortalRequest) -> HttpResponse:
    access.may_change_sets(request)
    posted = request.method == "POST"
    existing = [s.id for s in directory.list_sets(graph_for(request))] if posted else []
    form = AttributeSetCreateForm(
        request.POST if posted else None,
        existing_names=existing,
        check_url=reverse("attributes:check_set_name"),
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        step = confirm_step(request, form, _review(data))
        if step.page:
            return step.page
        if step.confirmed and (
            response := run_action(
                request,
                create_set,
                form=form,
                fields={"name": ("id", "name")},
                done=lambda created: format_html(
                    "The attribute set {} was created.", isolated(created.id)
                ),
                then=_set_url,
                name=data["name"],
                description=data["description"],
                max_attributes=data["max_attributes"],
                reason=data["reason"],
            )
        ):
            return response
    return render(request, "attributes/sets/create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@require_attribute_role
def set_edit(request: PortalRequest, name: str) -> HttpResponse:
    current = access.set_for(request, name, edit=True)
    in_use = sum(1 for d in access.definitions_in(request, current.id) if d.is_active)
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
        if response := run_action(
            request,
            update_set,
            form=form,
            fields={"max_attributes": ("maxAttributesPerSet",)},
            done=format_html("The attribute set {} was updated.", isolated(current.id)),
            then=_set_url,
            stale=request.path,
            current=current,
            seen=AttributeSet(current.id, data["seen_description"], data["seen_max_attributes"]),
            description=data["description"],
            max_attributes=data["max_attributes"],
            reason=data["reason"],
        ):
            return response
    return render(
        request,
        "attributes/sets/edit.html",
        {"form": form, "attribute_set": current, "in_use": in_use},
    )


@require_GET
@require_attribute_role
def set_detail(request: PortalRequest, name: str) -> HttpResponse:
    attribute_set = access.set_for(request, name)
    caps = capabilities(request)
    definitions = directory.list_definitions(graph_for(request), attribute_set.id)
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
        "policy_form": SetPolicyForm(
            initial={"require_reason": AttributeSetPolicy.requires_reason(attribute_set.id)}
        ),
        "can_write_policy": caps.set_settings_write(attribute_set.id),
        "why_not_write_policy": caps.why_not_write_set_settings(
            attribute_set.id, "assignment policy"
        ),
    }
    page = template_for(request, "attributes/sets/detail.html", "definitions")
    return render(request, page, context)


@require_POST
@require_attribute_role
def set_policy_edit(request: PortalRequest, name: str) -> HttpResponse:
    """Whether assignments in the set need a reason: the portal's own setting, audited."""
    attribute_set = access.set_policy_for(request, name)
    form = SetPolicyForm(request.POST)
    if form.is_valid():
        required = form.cleaned_data["require_reason"]
        done = (
            "Assignments in {} now need a reason."
            if required
            else "Assignments in {} no longer need a reason."
        )
        if response := run_action(
            request,
            set_reason_required,
            form=form,
            done=format_html(done, isolated(attribute_set.id)),
            then=_set_url(attribute_set),
            attribute_set=attribute_set.id,
            required=required,
            reason=form.cleaned_data["reason"],
        ):
            return response
    messages.error(request, "The assignment policy was not changed.")
    return redirect(_set_url(attribute_set))
