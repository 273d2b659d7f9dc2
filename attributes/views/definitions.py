"""Attribute definitions and their predefined values: create, edit, (de)activate, usage, help."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attributes import access, directory, validators
from attributes.access import capabilities, require_attribute_role
from attributes.actions.definitions import (
    add_values,
    create_definition,
    set_definition_status,
    set_value_active,
    update_definition,
)
from attributes.actions.help_text import set_help_text
from attributes.directory import AttributeSet, Definition
from attributes.forms import (
    AddValuesForm,
    DefinitionCreateForm,
    DefinitionEditForm,
    HelpTextForm,
    ReasonForm,
    ValueStatusForm,
)
from attributes.models import HelpText
from attributes.runner import Review, confirm_step, run_action
from portal.auth.client import graph_for
from portal.htmx import template_for
from portal.isolation import isolated
from portal.types import PortalRequest


def _detail_url(definition: Definition) -> str:
    return reverse(
        "attributes:definition_detail",
        kwargs={"set_name": definition.attribute_set, "name": definition.name},
    )


# Creating -----------------------------------------------------------------------------


def _create_form(set_name: str, **kwargs: Any) -> DefinitionCreateForm:
    return DefinitionCreateForm(
        check_url=reverse("attributes:check_definition_name", kwargs={"set_name": set_name}),
        values_check_url=reverse("attributes:check_values"),
        **kwargs,
    )


def _review(attribute_set: AttributeSet, data: dict[str, Any]) -> Review:
    name, values = data["name"], data.get("value_list", [])
    searchable = (
        "yes"
        if data["is_searchable"]
        else "no: you will never be able to filter users or applications by this attribute, "
        "nor count who holds its values"
    )
    predefined = (
        "yes; this can later be relaxed to allow other values, but never tightened again"
        if data["use_predefined_only"]
        else "no, and it can never be restricted to predefined values later"
    )
    per_object = "multiple" if data["is_collection"] else "a single value"
    return Review(
        page_title="Review the new attribute",
        title=format_html(
            "Create the attribute “{}” in {}?", isolated(name), isolated(attribute_set.id)
        ),
        warning="These choices are permanent. Attributes can be deactivated but never deleted "
        "or renamed.",
        permanent=[
            format_html(
                "Name: <strong>{}</strong> (its id will be <code>{}</code>)",
                isolated(name),
                isolated(f"{attribute_set.id}_{name}"),
            ),
            format_html("Type: <strong>{}</strong>", data["type"]),
            format_html("Values per object: <strong>{}</strong>", per_object),
            format_html("Searchable: <strong>{}</strong>", searchable),
            format_html("Only predefined values: <strong>{}</strong>", predefined),
        ],
        facts=[
            ("Description", data["description"]),
            (
                "Predefined values",
                f"{len(values)}: {', '.join(values)}" if values else "none",
            ),
            ("Reason", data["reason"]),
        ],
        note="Predefined values can be deactivated later, never removed." if values else "",
        confirm=format_html("Create {}", isolated(name)),
        breadcrumbs=[
            ("Attribute sets", reverse("attributes:set_list")),
            (attribute_set.id, reverse("attributes:set_detail", kwargs={"name": attribute_set.id})),
        ],
    )


@require_http_methods(["GET", "POST"])
@require_attribute_role
def definition_create(request: PortalRequest, set_name: str) -> HttpResponse:
    attribute_set = access.set_for(request, set_name, define=True)
    everywhere = directory.list_definitions(graph_for(request), with_values=False)
    existing = [d for d in everywhere if d.attribute_set.casefold() == set_name.casefold()]
    set_active = sum(1 for d in existing if d.is_active)
    capacity = validators.capacity_errors(
        tenant_active=sum(1 for d in everywhere if d.is_active),
        set_active=set_active,
        set_max=attribute_set.max_attributes,
    )
    context = {
        "attribute_set": attribute_set,
        "set_active": set_active,
        "capacity_errors": capacity,
        "limits": validators,
    }
    if request.method == "GET":
        # The type decides which other choices exist; htmx re-renders the form on change.
        form = _create_form(set_name, initial=request.GET.dict() or None)
        page = template_for(request, "attributes/definitions/create.html", "definition-form")
        return render(request, page, {**context, "form": form})
    form = _create_form(
        set_name,
        data=request.POST,
        existing_names=[d.name for d in existing],
        capacity_errors=capacity,
    )
    if form.is_valid():
        data = form.cleaned_data
        step = confirm_step(request, form, _review(attribute_set, data))
        if step.page:
            return step.page
        if step.confirmed and (
            response := run_action(
                request,
                create_definition,
                form=form,
                done=lambda created: format_html(
                    "The attribute {} was created in {}.",
                    isolated(created.name),
                    isolated(attribute_set.id),
                ),
                then=_detail_url,
                attribute_set=attribute_set.id,
                name=data["name"],
                description=data["description"],
                type_=data["type"],
                is_collection=data["is_collection"],
                is_searchable=data["is_searchable"],
                use_predefined_only=data["use_predefined_only"],
                values=data.get("value_list", []),
                reason=data["reason"],
            )
        ):
            return response
    return render(request, "attributes/definitions/create.html", {**context, "form": form})


@require_GET
@require_attribute_role
def check_definition_name(request: PortalRequest, set_name: str) -> HttpResponse:
    name = request.GET.get("name", "")
    errors = (
        validators.new_name_errors(
            name,
            lambda: [d.name for d in access.definitions_in(request, set_name)],
            what="attribute",
            among="an attribute in this set",
        )
        if name
        else []
    )
    return render(request, "attributes/_name_feedback.html", {"name": name, "errors": errors})


@require_POST
@require_attribute_role
def check_values(request: PortalRequest) -> HttpResponse:
    """Live feedback on a list of predefined values: duplicates, characters, the limit."""
    type_ = request.POST.get("type", "String")
    existing = request.POST.getlist("existing")
    value_list = validators.parse_values(
        request.POST.get("values", ""),
        type_=type_ if type_ in directory.TYPES else "String",
        existing=existing,
    )
    return render(
        request,
        "attributes/_values_feedback.html",
        {
            "value_list": value_list,
            "total": len(existing) + len(value_list.values),
            "limits": validators,
        },
    )


# The definition page and its edits ----------------------------------------------------


@require_GET
@require_attribute_role
def definition_detail(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    return _detail_page(request, access.definition_for(request, set_name, name))


def _detail_page(
    request: PortalRequest,
    definition: Definition,
    *,
    counts: dict[str, dict[str, int | None]] | None = None,
    **forms: object,
) -> HttpResponse:
    """The definition page, with value counts if known, and with any form bound to what
    the person submitted; htmx asking for the values table gets just that."""
    caps = capabilities(request)
    help_text = HelpText.objects.filter(definition_id=definition.id).first()
    context = {
        "definition": definition,
        "caps": caps,
        "can_write": caps.definitions_write.allows(definition.attribute_set),
        "why_not_write": caps.why_not_write_definitions(definition.attribute_set),
        "can_write_help": caps.set_settings_write(definition.attribute_set),
        "why_not_write_help": caps.why_not_write_set_settings(definition.attribute_set),
        "help_text": help_text,
        "edit_form": DefinitionEditForm(
            definition=definition,
            initial={
                "description": definition.description,
                "seen_description": definition.description,
            },
        ),
        "values_form": AddValuesForm(
            definition=definition, values_check_url=reverse("attributes:check_values")
        ),
        "help_form": HelpTextForm(initial={"text": help_text.text if help_text else ""}),
        "limits": validators,
        "value_rows": [
            (value, counts[value.id] if counts else None) for value in definition.allowed_values
        ],
        "counted": counts is not None,
        **forms,
    }
    page = template_for(request, "attributes/definitions/detail.html", "values-table")
    return render(request, page, context)


@require_POST
@require_attribute_role
def definition_edit(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    definition = access.definition_for(request, set_name, name, write=True)
    form = DefinitionEditForm(request.POST, definition=definition)
    if form.is_valid():
        data = form.cleaned_data
        if response := run_action(
            request,
            update_definition,
            form=form,
            done=format_html("The attribute {} was updated.", isolated(name)),
            then=_detail_url,
            current=definition,
            seen=replace(definition, description=data["seen_description"]),
            description=data["description"],
            allow_other_values=data.get("allow_other_values", False),
            reason=data["reason"],
        ):
            return response
    return _detail_page(request, definition, edit_form=form)


@require_POST
@require_attribute_role
def values_add(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    definition = access.definition_for(request, set_name, name, write=True)
    form = AddValuesForm(
        request.POST, definition=definition, values_check_url=reverse("attributes:check_values")
    )
    if form.is_valid():
        values = form.cleaned_data["values"]
        if response := run_action(
            request,
            add_values,
            form=form,
            done=format_html(
                "Added {} predefined value{}: {}.",
                len(values),
                pluralize(values),
                format_html_join(", ", "{}", ((isolated(v),) for v in values)),
            ),
            then=_detail_url,
            current=definition,
            values=values,
            reason=form.cleaned_data["reason"],
        ):
            return response
    return _detail_page(request, definition, values_form=form)


@require_POST
@require_attribute_role
def value_status(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    """The value comes in the form, never in the URL: values can be "..", hold a NUL, or
    anything else Graph allows, and every one of them must be reachable."""
    definition = access.definition_for(request, set_name, name, write=True)
    form = ValueStatusForm(request.POST)
    if not form.is_valid() or definition.value(form.cleaned_data["value"]) is None:
        raise Http404(
            format_html("This is not a predefined value of {}.", isolated(definition.name))
        )
    value, active = form.cleaned_data["value"], form.cleaned_data["active"]
    # repr() shows a NUL or a newline as \x00 or \n, so the message names the value exactly.
    if active:
        done = format_html("The value {} was reactivated.", isolated(repr(value)))
    else:
        done = format_html(
            "The value {} was deactivated. Objects that already hold it keep it.",
            isolated(repr(value)),
        )
    # A one-click change without a form: a refusal from Graph is shown as an error page.
    return run_action(
        request,
        set_value_active,
        done=done,
        then=_detail_url,
        current=definition,
        value=value,
        active=active,
        reason=form.cleaned_data["reason"],
    )


@require_http_methods(["GET", "POST"])
@require_attribute_role
def definition_status(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    """Deactivating or reactivating: the impact first (who holds it), then the change."""
    definition = access.definition_for(request, set_name, name, write=True)
    activate = not definition.is_active
    form = ReasonForm(request.POST if request.method == "POST" else None)
    blockers = _reactivation_blockers(request, definition) if activate else []
    if request.method == "POST" and form.is_valid() and not blockers:
        verb = "reactivated" if activate else "deactivated"
        if response := run_action(
            request,
            set_definition_status,
            form=form,
            done=format_html(
                "The attribute {} was {}. Existing assignments were not changed.",
                isolated(name),
                verb,
            ),
            then=_detail_url,
            current=definition,
            active=activate,
            reason=form.cleaned_data["reason"],
        ):
            return response
    context = {
        "definition": definition,
        "activate": activate,
        "form": form,
        "blockers": blockers,
        "impact": _impact(request, definition),
    }
    return render(request, "attributes/definitions/status.html", context)


def _reactivation_blockers(request: PortalRequest, definition: Definition) -> list[str]:
    graph = graph_for(request)
    everywhere = directory.list_definitions(graph, with_values=False)
    return validators.capacity_errors(
        tenant_active=sum(1 for d in everywhere if d.is_active),
        set_active=sum(
            1
            for d in everywhere
            if d.is_active and d.attribute_set.casefold() == definition.attribute_set.casefold()
        ),
        set_max=directory.get_set(graph, definition.attribute_set).max_attributes,
    )


def _impact(request: PortalRequest, definition: Definition) -> dict[str, int | None] | None:
    holder_filter = directory.holder_filter(definition)
    if holder_filter is None:
        return None
    return directory.count_objects(graph_for(request), {"holders": holder_filter})["holders"]


@require_GET
@require_attribute_role
def value_usage(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    """The definition page with how many objects hold each value (htmx loads it lazily)."""
    definition = access.definition_for(request, set_name, name)
    if not definition.is_searchable:
        raise Http404("Graph cannot count the values of an attribute that is not searchable.")
    counts = directory.count_objects(
        graph_for(request),
        {v.id: directory.value_filter(definition, v.id) for v in definition.allowed_values},
    )
    return _detail_page(request, definition, counts=counts)


@require_POST
@require_attribute_role
def help_text_edit(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    definition = access.help_text_for(request, set_name, name)
    form = HelpTextForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"].strip()
        if response := run_action(
            request,
            set_help_text,
            form=form,
            done="The help text was saved." if text else "The help text was removed.",
            then=_detail_url(definition),
            definition=definition,
            text=text,
            reason=form.cleaned_data["reason"],
        ):
            return response
    return _detail_page(request, definition, help_form=form)
