"""The audit log's review screens: the list, a record, an object's timeline, exports,
and Entra's own CSA audit feed beside them. Rules live in attributes.audit_review."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from attributes import access
from attributes.access import capabilities, require_attribute_role
from attributes.audit_review import entra, export, filters, paging, rows
from attributes.models import AuditRecord, TargetType
from portal.auth.client import graph_for
from portal.htmx import template_for
from portal.types import PortalRequest

LIST = "attributes/audit/list.html"


def _invalid_status(request: PortalRequest) -> int:
    # A page with bad filters is a 400; for htmx, the fragment with the messages is the
    # expected answer to typing, so it is a 200 (htmx would log a 4xx as an error).
    return 200 if request.htmx else 400


def _list_context(request: PortalRequest, form: filters.AuditFilterForm) -> dict[str, Any]:
    return {
        "caps": capabilities(request),
        "reach": access.audit_reach(request),
        "form": form,
        "query": form.query(),
        "retention": export.RETENTION_NOTE,
    }


def _page(request: PortalRequest, records: QuerySet[AuditRecord]) -> paging.Page:
    return paging.keyset_page(
        records,
        before=paging.parse_cursor(request.GET.get("before")),
        after=paging.parse_cursor(request.GET.get("after")),
    )


@require_GET
@require_attribute_role
def audit_list(request: PortalRequest) -> HttpResponse:
    readable = access.readable_records(request)
    form = filters.AuditFilterForm(request.GET)
    context = _list_context(request, form)
    status = 200
    if form.is_valid():
        page = _page(request, form.filters().apply(readable))
        context.update(
            page=page,
            rows=rows.rows(page),
            links=paging.page_links(context["query"], page),
            filtered=form.filters().active,
        )
    else:
        status = _invalid_status(request)
    return render(request, template_for(request, LIST, "audit-results"), context, status=status)


@require_GET
@require_attribute_role
def audit_detail(request: PortalRequest, seq: int) -> HttpResponse:
    record = access.record_for(request, seq)
    caps = capabilities(request)
    context: dict[str, Any] = {
        "caps": caps,
        "record": record,
        "entra_query": entra.entra_window(record),
    }
    if request.GET.get("entra") and caps.entra_audit_read:
        # htmx asks for this after the page has loaded, so the Graph call never delays
        # the record itself; without JavaScript it is the "Look it up" link's page.
        access.entra_feed_access(request)
        context.update(match=entra.find_in_entra(graph_for(request), record), searched=True)
        if request.htmx:
            return render(request, "attributes/audit/detail.html#entra-match", context)
    texts = {
        "Actor": record.actor_upn,
        "Actor name": record.actor_name,
        "Target name": record.target_name,
        "Reason": record.reason,
        "Error message": record.error_message,
    }
    context.update(
        diff=rows.diff(record.before, record.after),
        timeline_url=rows.timeline_url(record.target_type, record.target_id),
        hidden={
            label: rows.reveal(text)
            for label, text in texts.items()
            if rows.has_hidden_characters(text)
        },
    )
    return render(request, "attributes/audit/detail.html", context)


@require_GET
@require_attribute_role
def audit_timeline(request: PortalRequest, target_type: str, target_id: str) -> HttpResponse:
    if target_type not in TargetType.values:
        raise Http404(f"There is no timeline for objects of type {target_type!r}.")
    records = access.timeline_for(
        request, rows.timeline_records(target_type, target_id), target_type, target_id
    )
    page = _page(request, records)
    newest = page.records[0] if page.records else None
    context = {
        "caps": capabilities(request),
        "reach": access.audit_reach(request),
        "target_type": target_type,
        "target_label": TargetType(target_type).label,
        "empty_text": f"The portal has recorded no changes to this "
        f"{TargetType(target_type).label.lower()}.",
        "target_id": target_id,
        "target_name": newest.target_name if newest and newest.target_id == target_id else "",
        "page": page,
        "rows": rows.rows(page),
        "links": paging.page_links("", page),
        "list_query": urlencode(
            {"set" if target_type == TargetType.ATTRIBUTE_SET else "target": target_id}
        ),
    }
    template = template_for(request, "attributes/audit/timeline.html", "timeline-results")
    return render(request, template, context)


def _export(
    request: PortalRequest,
    stream: Callable[[QuerySet[AuditRecord]], Iterator[str]],
    extension: str,
    content_type: str,
) -> HttpResponseBase:
    readable = access.readable_records(request)
    form = filters.AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, LIST, _list_context(request, form), status=400)
    response = StreamingHttpResponse(
        stream(form.filters().apply(readable)), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{export.export_filename(extension)}"'
    return response


@require_GET
@require_attribute_role
def audit_export_csv(request: PortalRequest) -> HttpResponseBase:
    return _export(request, export.csv_stream, "csv", "text/csv; charset=utf-8")


@require_GET
@require_attribute_role
def audit_export_json(request: PortalRequest) -> HttpResponseBase:
    return _export(request, export.json_stream, "json", "application/json; charset=utf-8")


@require_GET
@require_attribute_role
def entra_feed(request: PortalRequest) -> HttpResponse:
    caps = access.entra_feed_access(request)
    form = entra.EntraFilterForm(request.GET)
    graph = graph_for(request)
    next_link = request.GET.get("page") or None
    context: dict[str, Any] = {"caps": caps, "form": form, "query": form.query()}
    status = 200
    if next_link and not entra.is_feed_link(next_link, graph):
        context["link_error"] = (
            "The next-page link in this address is not one of Entra's audit feed, so it was "
            "not followed. Showing the first page."
        )
        next_link = None
    if form.is_valid():
        page = entra.read_entra_page(graph, form.cleaned_data, next_link=next_link)
        context.update(
            entries=entra.link_to_portal(page.entries),
            next_link=page.next_link,
            odata_filter=page.filter,
            paged=bool(next_link),
        )
    else:
        status = _invalid_status(request)
    template = template_for(request, "attributes/audit/entra.html", "entra-results")
    return render(request, template, context, status=status)
