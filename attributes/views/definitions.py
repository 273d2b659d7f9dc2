"""Attribute definitions and their predefined values: create, edit, (de)activate, usage, help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attributes import directory, validators
from attributes.access import capabilities, require_attribute_role
from attributes.actions import StaleEdit
from attributes.actions.definitions import (
    add_values,
    create_definition,
    set_definition_status,
    set_value_active,
    update_definition,
)
from attributes.actions.help_text import set_help_text
from attributes.audit import Actor
from attributes.directory import Definition
from attributes.forms import (
    AddValuesForm,
    DefinitionCreateForm,
    DefinitionEditForm,
    HelpTextForm,
    PortalForm,
    ReasonForm,
)
from attributes.models import HelpText
from attributes.views.graph_forms import graph_error_to_form
from attributes.views.sets import readable_set
from portal.auth.client import graph_for
from portal.graph import Forbidden, GraphError
from portal.types import PortalRequest


def _writable_set(request: PortalRequest, set_name: str) -> None:
    caps = capabilities(request)
    if not caps.definitions_write.allows(set_name):
        raise PermissionDenied(caps.why_not_write_definitions(set_name))


def _definition(request: PortalRequest, set_name: str, name: str) -> Definition:
    readable_set(request, set_name)
    definition = directory.get_definition(graph_for(request), set_name, name)
    if definition is None:
        raise Http404(f"The attribute set {set_name} has no attribute named {name}.")
    return definition


def _on_form(request: PortalRequest, form: object, error: GraphError, set_name: str) -> None:
    if isinstance(error, Forbidden):
        error.needed = capabilities(request).why_not_write_definitions(set_name)
    graph_error_to_form(form, error)  # type: ignore[arg-type]


def _detail(set_name: str, name: str) -> HttpResponse:
    return redirect("attributes:definition_detail", set_name=set_name, name=name)


# Creating -----------------------------------------------------------------------------


def _create_form(set_name: str, **kwargs: Any) -> DefinitionCreateForm:
    return DefinitionCreateForm(
        check_url=reverse("attributes:check_definition_name", kwargs={"set_name": set_name}),
        values_check_url=reverse("attributes:check_values"),
        **kwargs,
    )


@require_http_methods(["GET", "POST"])
@require_attribute_role
def definition_create(request: PortalRequest, set_name: str) -> HttpResponse:
    readable_set(request, set_name)
    _writable_set(request, set_name)
    graph = graph_for(request)
    attribute_set = directory.get_set(graph, set_name)
    everywhere = directory.list_definitions(graph, with_values=False)
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
        if request.htmx:
            return render(
                request,
                "attributes/definitions/create.html#definition-form",
                {**context, "form": form},
            )
        return render(request, "attributes/definitions/create.html", {**context, "form": form})
    form = _create_form(
        set_name,
        data=request.POST,
        existing_names=[d.name for d in existing],
        capacity_errors=capacity,
    )
    if form.is_valid():
        data = form.cleaned_data
        step = request.POST.get("confirm")
        if step == "yes":
            try:
                created = create_definition(
                    graph=graph,
                    actor=Actor.from_request(request),
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
            except GraphError as exc:
                _on_form(request, form, exc, set_name)
            else:
                messages.success(
                    request, f"The attribute {created.name} was created in {attribute_set.id}."
                )
                return _detail(attribute_set.id, created.name)
        elif step != "edit":
            return render(
                request,
                "attributes/definitions/review.html",
                {**context, "form": form, "data": data},
            )
    return render(request, "attributes/definitions/create.html", {**context, "form": form})


@require_GET
@require_attribute_role
def check_definition_name(request: PortalRequest, set_name: str) -> HttpResponse:
    readable_set(request, set_name)
    name = request.GET.get("name", "")
    errors = (
        validators.new_name_errors(
            name,
            lambda: [
                d.name
                for d in directory.list_definitions(graph_for(request), set_name, with_values=False)
            ],
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
    return _render_detail_with(request, _definition(request, set_name, name))


def _render_detail_with(
    request: PortalRequest, definition: Definition, **forms: object
) -> HttpResponse:
    """The definition page again, with one form bound to what the person submitted."""
    caps = capabilities(request)
    help_text = HelpText.objects.filter(definition_id=definition.id).first()
    context = {
        "definition": definition,
        "caps": caps,
        "can_write": caps.definitions_write.allows(definition.attribute_set),
        "why_not_write": caps.why_not_write_definitions(definition.attribute_set),
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
        "value_rows": [(value, None) for value in definition.allowed_values],
        "counted": False,
        **forms,
    }
    return render(request, "attributes/definitions/detail.html", context)


def _attempt(
    request: PortalRequest,
    set_name: str,
    change: Callable[[], object],
    *,
    done: str,
    form: PortalForm | None = None,
) -> bool:
    """Runs an action. True when the page should show the attribute's current state: it
    went through (with `done` as the message) or the attribute changed meanwhile. False
    when Graph refused it; the reason is on `form`, or without a form on an error page."""
    try:
        change()
    except StaleEdit as stale:
        messages.warning(request, f"{stale} Its current state is shown; check it and try again.")
    except GraphError as exc:
        if form is None:
            if isinstance(exc, Forbidden):
                exc.needed = capabilities(request).why_not_write_definitions(set_name)
            raise
        _on_form(request, form, exc, set_name)
        return False
    else:
        messages.success(request, done)
    return True


@require_POST
@require_attribute_role
def definition_edit(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    _writable_set(request, set_name)
    definition = _definition(request, set_name, name)
    form = DefinitionEditForm(request.POST, definition=definition)
    if form.is_valid():
        data = form.cleaned_data
        seen = replace(definition, description=data["seen_description"])
        edit = partial(
            update_definition,
            graph=graph_for(request),
            actor=Actor.from_request(request),
            seen=seen,
            description=data["description"],
            allow_other_values=data.get("allow_other_values", False),
            reason=data["reason"],
        )
        if _attempt(request, set_name, edit, done=f"The attribute {name} was updated.", form=form):
            return _detail(set_name, name)
    return _render_detail_with(request, definition, edit_form=form)


@require_POST
@require_attribute_role
def values_add(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    _writable_set(request, set_name)
    definition = _definition(request, set_name, name)
    form = AddValuesForm(
        request.POST, definition=definition, values_check_url=reverse("attributes:check_values")
    )
    if form.is_valid():
        values = form.cleaned_data["values"]
        add = partial(
            add_values,
            graph=graph_for(request),
            actor=Actor.from_request(request),
            seen=definition,
            values=values,
            reason=form.cleaned_data["reason"],
        )
        done = f"Added {len(values)} predefined value{pluralize(values)}: {', '.join(values)}."
        if _attempt(request, set_name, add, done=done, form=form):
            return _detail(set_name, name)
    return _render_detail_with(request, definition, values_form=form)


@require_POST
@require_attribute_role
def value_status(request: PortalRequest, set_name: str, name: str, value: str) -> HttpResponse:
    _writable_set(request, set_name)
    definition = _definition(request, set_name, name)
    active = request.POST.get("active") == "true"
    form = ReasonForm(request.POST)
    form.is_valid()
    toggle = partial(
        set_value_active,
        graph=graph_for(request),
        actor=Actor.from_request(request),
        seen=definition,
        value=value,
        active=active,
        reason=form.cleaned_data.get("reason", ""),
    )
    if active:
        done = f"The value {value!r} was reactivated."
    else:
        done = f"The value {value!r} was deactivated. Objects that already hold it keep it."
    _attempt(request, set_name, toggle, done=done)
    return _detail(set_name, name)


@require_http_methods(["GET", "POST"])
@require_attribute_role
def definition_status(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    """Deactivating or reactivating: the impact first (who holds it), then the change."""
    _writable_set(request, set_name)
    definition = _definition(request, set_name, name)
    activate = not definition.is_active
    form = ReasonForm(request.POST if request.method == "POST" else None)
    blockers = _reactivation_blockers(request, definition) if activate else []
    if request.method == "POST" and form.is_valid() and not blockers:
        change = partial(
            set_definition_status,
            graph=graph_for(request),
            actor=Actor.from_request(request),
            seen=definition,
            active=activate,
            reason=form.cleaned_data["reason"],
        )
        verb = "reactivated" if activate else "deactivated"
        done = f"The attribute {name} was {verb}. Existing assignments were not changed."
        if _attempt(request, set_name, change, done=done, form=form):
            return _detail(set_name, name)
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
    """The values table again, with how many objects hold each value (loaded lazily)."""
    definition = _definition(request, set_name, name)
    if not definition.is_searchable:
        raise Http404("Graph cannot count the values of an attribute that is not searchable.")
    counts = directory.count_objects(
        graph_for(request),
        {v.id: directory.value_filter(definition, v.id) for v in definition.allowed_values},
    )
    context = {
        "definition": definition,
        "can_write": capabilities(request).definitions_write.allows(definition.attribute_set),
        "value_rows": [(value, counts[value.id]) for value in definition.allowed_values],
        "counted": True,
    }
    return render(request, "attributes/definitions/detail.html#values-table", context)


@require_POST
@require_attribute_role
def help_text_edit(request: PortalRequest, set_name: str, name: str) -> HttpResponse:
    _writable_set(request, set_name)
    definition = _definition(request, set_name, name)
    form = HelpTextForm(request.POST)
    if form.is_valid():
        text = set_help_text(
            actor=Actor.from_request(request),
            definition=definition,
            text=form.cleaned_data["text"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, "The help text was saved." if text else "The help text was removed."
        )
        return _detail(set_name, name)
    return _render_detail_with(request, definition, help_form=form)
