"""Find by value, and the who-has-what exports (of a result, a set, or the whole tenant)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from attributes import access, export, find, objects
from attributes.access import capabilities, require_attribute_role
from attributes.directory import Definition
from attributes.objects import ALL, TAB_BY_KEY
from portal.auth.client import graph_for
from portal.graph import GraphClient
from portal.htmx import template_for
from portal.types import PortalRequest

Stream = Callable[[GraphClient, export.Scope], Iterator[str]]
FORMATS: dict[str, tuple[Stream, str]] = {
    "csv": (export.csv_stream, "text/csv; charset=utf-8"),
    "json": (export.json_stream, "application/json; charset=utf-8"),
}


def _stream(request: PortalRequest, scope: export.Scope, extension: str) -> HttpResponseBase:
    if extension not in FORMATS:
        raise Http404(f"Exports are .csv or .json, not .{extension}.")
    stream, content_type = FORMATS[extension]
    response = StreamingHttpResponse(stream(graph_for(request), scope), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename(scope, extension)}"'
    return response


def _form(request: PortalRequest, definitions: list[Definition]) -> find.FindForm:
    return find.FindForm(request.GET or None, definitions=definitions)


@require_GET
@require_attribute_role
def find_by_value(request: PortalRequest) -> HttpResponse:
    """Set → attribute → operator → value, combined; the query lives in the URL."""
    definitions = access.readable_definitions(request)
    form = _form(request, definitions)
    context: dict[str, Any] = {
        "caps": capabilities(request),
        "form": form,
        "not_searchable_reason": find.NOT_SEARCHABLE,
    }
    status = 200
    if form.is_bound:
        if form.is_valid():
            query = form.query()
            graph = graph_for(request)
            next_link = request.GET.get("page") or None
            if next_link and not objects.is_listing_link(next_link, graph, query.tab):
                next_link = None
            listings = find.run(graph, query, next_link=next_link)
            context.update(
                query=query,
                listings=listings,
                matches=sum(listing.count or 0 for listing in listings),
                query_string=form.query_string(),
                paged=bool(next_link),
            )
        else:
            # A page with bad input is a 400; htmx gets the messages with a 200.
            status = 200 if request.htmx else 400
    page = template_for(request, "attributes/find/find.html", "find-results")
    return render(request, page, context, status=status)


@require_GET
@require_attribute_role
def find_export(request: PortalRequest, extension: str) -> HttpResponseBase:
    definitions = access.readable_definitions(request)
    # Bound even to an empty query, so that an export of nothing says what to choose.
    form = find.FindForm(request.GET, definitions=definitions)
    if not form.is_valid():
        context = {"caps": capabilities(request), "form": form}
        return render(request, "attributes/find/find.html", context, status=400)
    query = form.query()
    scope = export.Scope(
        tabs=tuple(objects.tabs_for(query.tab)),
        columns=query.columns,
        filter=query.filter,
        name="query",
    )
    return _stream(request, scope, extension)


@require_GET
@require_attribute_role
def export_page(request: PortalRequest) -> HttpResponse:
    """The whole tenant, or one attribute set, as CSV or JSON."""
    definitions = access.readable_definitions(request)
    sets = sorted({d.attribute_set for d in definitions}, key=str.casefold)
    context = {"caps": capabilities(request), "sets": sets, "columns": len(definitions)}
    return render(request, "attributes/find/export.html", context)


@require_GET
@require_attribute_role
def export_all(request: PortalRequest, extension: str) -> HttpResponseBase:
    definitions = access.readable_definitions(request)
    columns = tuple(
        sorted(definitions, key=lambda d: (d.attribute_set.casefold(), d.name.casefold()))
    )
    scope = export.Scope(tabs=tuple(objects.tabs_for(ALL)), columns=columns, name="tenant")
    return _stream(request, scope, extension)


@require_GET
@require_attribute_role
def export_set(request: PortalRequest, name: str, extension: str) -> HttpResponseBase:
    definitions = access.readable_definitions(request)
    columns = tuple(
        sorted(
            (d for d in definitions if d.attribute_set.casefold() == name.casefold()),
            key=lambda d: d.name.casefold(),
        )
    )
    if not columns:
        raise Http404(f"No attribute set named {name!r} holds attributes you can read.")
    scope = export.Scope(
        tabs=(TAB_BY_KEY["users"], TAB_BY_KEY["servicePrincipals"]),
        columns=columns,
        holders_of=columns[0].attribute_set,
        name=columns[0].attribute_set,
    )
    return _stream(request, scope, extension)
