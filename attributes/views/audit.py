"""The audit log's review screens: the list, a record, an object's timeline, exports,
and Entra's own CSA audit feed beside them. Rules live in attributes.audit_review."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from attributes import audit_review as review
from attributes.access import capabilities, require_attribute_role
from attributes.capabilities import Reach
from attributes.models import AuditRecord, TargetType
from portal.auth.client import graph_for
from portal.graph import Forbidden
from portal.types import PortalRequest

LIST = "attributes/audit/list.html"


def log_reach(request: PortalRequest) -> Reach:
    """Where the person may read the portal's log; refuses those who may read none of it."""
    reach = capabilities(request).portal_log_read
    if not reach:
        raise PermissionDenied(
            "Reading the audit log needs Attribute Log Reader or Administrator, or an "
            "attribute definition or assignment role."
        )
    return reach


def _partial(request: PortalRequest, template: str, name: str) -> str:
    return f"{template}#{name}" if request.htmx and request.htmx.target == name else template


def _invalid_status(request: PortalRequest) -> int:
    # A page with bad filters is a 400; for htmx, the fragment with the messages is the
    # expected answer to typing, so it is a 200 (htmx would log a 4xx as an error).
    return 200 if request.htmx else 400


def _list_context(
    request: PortalRequest, reach: Reach, form: review.AuditFilterForm
) -> dict[str, Any]:
    return {
        "caps": capabilities(request),
        "reach": reach,
        "form": form,
        "query": form.query(),
        "retention": review.RETENTION_NOTE,
    }


@require_GET
@require_attribute_role
def audit_list(request: PortalRequest) -> HttpResponse:
    reach = log_reach(request)
    form = review.AuditFilterForm(request.GET)
    context = _list_context(request, reach, form)
    status = 200
    if form.is_valid():
        records = form.filters().apply(review.visible_records(reach))
        page = review.keyset_page(
            records,
            before=review.parse_cursor(request.GET.get("before")),
            after=review.parse_cursor(request.GET.get("after")),
        )
        context.update(
            page=page,
            rows=review.rows(page),
            links=review.page_links(context["query"], page),
            filtered=form.filters().active,
        )
    else:
        status = _invalid_status(request)
    return render(request, _partial(request, LIST, "audit-results"), context, status=status)


@require_GET
@require_attribute_role
def audit_detail(request: PortalRequest, seq: int) -> HttpResponse:
    reach = log_reach(request)
    record = get_object_or_404(AuditRecord, seq=seq)
    if not reach.allows(record.attribute_set or None):
        raise PermissionDenied(review.scope_refusal(reach, record.attribute_set))
    caps = capabilities(request)
    context: dict[str, Any] = {
        "caps": caps,
        "record": record,
        "entra_query": review.entra_window(record),
    }
    if request.GET.get("entra") and caps.entra_audit_read:
        # htmx asks for this after the page has loaded, so the Graph call never delays
        # the record itself; without JavaScript it is the "Look it up" link's page.
        try:
            match = review.find_in_entra(graph_for(request), record)
        except Forbidden as exc:
            exc.needed = caps.why_not_entra_audit()
            raise
        context.update(match=match, searched=True)
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
        diff=review.diff(record.before, record.after),
        timeline_url=review.timeline_url(record.target_type, record.target_id),
        hidden={
            label: review.reveal(text)
            for label, text in texts.items()
            if review.has_hidden_characters(text)
        },
    )
    return render(request, "attributes/audit/detail.html", context)


@require_GET
@require_attribute_role
def audit_timeline(request: PortalRequest, target_type: str, target_id: str) -> HttpResponse:
    if target_type not in TargetType.values:
        raise Http404(f"There is no timeline for objects of type {target_type!r}.")
    reach = log_reach(request)
    records = review.timeline_records(target_type, target_id)
    if not reach.tenant:
        # A set, or a definition (whose records all carry its set), is wholly in or out.
        if target_type == TargetType.ATTRIBUTE_SET:
            attribute_set = target_id
        elif target_type == TargetType.DEFINITION:
            attribute_set = records.values_list("attribute_set", flat=True).first() or ""
        else:
            attribute_set = None
        if attribute_set is not None and attribute_set and not reach.allows(attribute_set):
            raise PermissionDenied(review.scope_refusal(reach, attribute_set))
        records = review.scoped(records, reach)
    page = review.keyset_page(
        records,
        before=review.parse_cursor(request.GET.get("before")),
        after=review.parse_cursor(request.GET.get("after")),
    )
    newest = page.records[0] if page.records else None
    context = {
        "caps": capabilities(request),
        "reach": reach,
        "target_type": target_type,
        "target_label": TargetType(target_type).label,
        "target_id": target_id,
        "target_name": newest.target_name if newest and newest.target_id == target_id else "",
        "page": page,
        "rows": review.rows(page),
        "links": review.page_links("", page),
        "list_query": urlencode(
            {"set" if target_type == TargetType.ATTRIBUTE_SET else "target": target_id}
        ),
    }
    template = "attributes/audit/timeline.html"
    return render(request, _partial(request, template, "timeline-results"), context)


def _export(request: PortalRequest, stream: Any, extension: str, content_type: str) -> HttpResponse:
    reach = log_reach(request)
    form = review.AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, LIST, _list_context(request, reach, form), status=400)
    records = form.filters().apply(review.visible_records(reach))
    response = StreamingHttpResponse(stream(records), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{review.export_filename(extension)}"'
    return response


@require_GET
@require_attribute_role
def audit_export_csv(request: PortalRequest) -> HttpResponse:
    return _export(request, review.csv_stream, "csv", "text/csv; charset=utf-8")


@require_GET
@require_attribute_role
def audit_export_json(request: PortalRequest) -> HttpResponse:
    return _export(request, review.json_stream, "json", "application/json; charset=utf-8")


@require_GET
@require_attribute_role
def entra_feed(request: PortalRequest) -> HttpResponse:
    caps = capabilities(request)
    if not caps.entra_audit_read:
        raise PermissionDenied(caps.why_not_entra_audit())
    form = review.EntraFilterForm(request.GET)
    graph = graph_for(request)
    next_link = request.GET.get("page") or None
    context: dict[str, Any] = {"caps": caps, "form": form, "query": form.query()}
    status = 200
    if next_link and not review.is_feed_link(next_link, graph):
        context["link_error"] = (
            "The next-page link in this address is not one of Entra's audit feed, so it was "
            "not followed. Showing the first page."
        )
        next_link = None
    if form.is_valid():
        try:
            page = review.read_entra_page(graph, form.cleaned_data, next_link=next_link)
        except Forbidden as exc:
            exc.needed = caps.why_not_entra_audit()
            raise
        context.update(
            entries=review.link_to_portal(page.entries),
            next_link=page.next_link,
            odata_filter=page.filter,
            paged=bool(next_link),
        )
    else:
        status = _invalid_status(request)
    template = "attributes/audit/entra.html"
    return render(request, _partial(request, template, "entra-results"), context, status=status)
