"""Bulk assignment: choose a change for a selection or upload a file, review the dry run,
apply it, and follow the job."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attributes import access, export
from attributes.access import capabilities, require_attribute_role
from attributes.audit import Actor
from attributes.bulk import jobs, operations, plan, selection
from attributes.bulk.forms import BulkChangeForm, UploadForm
from attributes.bulk.upload import MAX_UPLOAD_BYTES, read_upload
from attributes.capabilities import Capabilities
from attributes.directory import Definition
from attributes.models import AttributeSetPolicy, BulkJob, ItemState
from attributes.spreadsheet import csv_lines, guard
from portal.auth.client import graph_for
from portal.htmx import template_for
from portal.types import PortalRequest

REPORT_COLUMNS = (
    "line", "objectId", "objectType", "displayName", "attribute", "operation", "before",
    "after", "outcome", "message", "requestId", "auditRecord", "verified",
)  # fmt: skip


def _assignable(request: PortalRequest) -> list[Definition]:
    caps = capabilities(request)
    return [
        d
        for d in access.readable_definitions(request)
        if caps.assignments_write.allows(d.attribute_set)
    ]


def _why_not(caps: Capabilities) -> Any:
    def why_not(definition: Definition) -> str:
        allowed = caps.assignments_write.allows(definition.attribute_set)
        return "" if allowed else caps.why_not_assign(definition.attribute_set)

    return why_not


def _reason_required(definitions: list[Definition]) -> set[str]:
    """The sets among the definitions' whose policy requires a reason."""
    sets = {d.attribute_set.casefold() for d in definitions}
    required = AttributeSetPolicy.objects.filter(require_reason=True)
    return {s for s in required.values_list("attribute_set", flat=True) if s.casefold() in sets}


@require_http_methods(["GET", "POST"])
@require_attribute_role
def bulk_new(request: PortalRequest) -> HttpResponse:
    """One attribute changed on every selected object: the form, then the dry run."""
    caps = capabilities(request)
    data = request.POST if request.method == "POST" else request.GET
    try:
        chosen = selection.Selection.from_data(data)
    except selection.BadSelection as error:
        return render(
            request,
            "attributes/bulk/new.html",
            {"caps": caps, "selection_error": str(error)},
            status=400,
        )
    definitions = _assignable(request)
    bound = request.method == "POST" or "attribute" in request.GET
    form = BulkChangeForm(
        data if bound else None,
        initial={"attribute": data.get("attribute", "")},
        definitions=definitions,
        reason_required=_reason_required(definitions),
    )
    context: dict[str, Any] = {"caps": caps, "form": form, "selection": chosen}
    if request.method == "POST" and form.is_valid():
        change = form.change()
        graph = graph_for(request)
        try:
            job = plan.draft_for_selection(
                Actor.from_request(request),
                selection.objects_of(graph, chosen, access.readable_definitions(request)),
                change,
                source=chosen.describe(),
                reason=form.cleaned_data.get("reason", ""),
                why_not=_why_not(caps)(change.definition),
            )
        except selection.BadSelection as error:
            context["selection_error"] = str(error)
            return render(request, "attributes/bulk/new.html", context, status=400)
        return redirect("attributes:bulk_job", job_id=job.id)
    if request.method == "GET" and bound:
        # The attribute was chosen: the value field for it (htmx swaps it in).
        form.errors.clear()
    page = template_for(request, "attributes/bulk/new.html", "value-field")
    status = 400 if request.method == "POST" else 200
    return render(request, page, context, status=200 if request.htmx else status)


@require_GET
@require_attribute_role
def bulk_template(request: PortalRequest) -> HttpResponseBase:
    """The selected objects with their current values of the chosen attributes, in the
    who-has-what format: edit it offline and upload it."""
    try:
        chosen = selection.Selection.from_data(request.GET)
    except selection.BadSelection as error:
        raise Http404(str(error)) from None
    by_id = {d.id.casefold(): d for d in access.readable_definitions(request)}
    columns = tuple(
        by_id[c.casefold()] for c in request.GET.getlist("attribute") if c.casefold() in by_id
    )
    if not columns:
        raise Http404("Choose at least one attribute for the template.")
    graph = graph_for(request)
    found = selection.objects_of(graph, chosen, list(by_id.values()))
    scope = export.Scope(tabs=(), columns=columns, name="template")
    response = StreamingHttpResponse(
        csv_lines(export.header(scope), export.csv_rows(found, columns)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(scope, "csv")}"'
    return response


@require_http_methods(["GET", "POST"])
@require_attribute_role
def bulk_upload(request: PortalRequest) -> HttpResponse:
    caps = capabilities(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"caps": caps, "form": form}
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        data = upload_file.read(MAX_UPLOAD_BYTES + 1)
        definitions = access.readable_definitions(request)
        why_not = _why_not(caps)
        upload = read_upload(
            data, definitions, assignable=lambda d: not why_not(d), why_not=why_not
        )
        if upload.file_problem:
            form.add_error("file", upload.file_problem)
        elif upload.problems:
            context["upload"] = upload
        else:
            reasons = _reason_required(upload.columns)
            if reasons and not form.cleaned_data["reason"]:
                form.add_error(
                    "reason",
                    f"Give a reason: the attribute set{'s' if len(reasons) > 1 else ''} "
                    f"{', '.join(sorted(reasons))} require{'' if len(reasons) > 1 else 's'} one "
                    "for every assignment.",
                )
            else:
                job = plan.draft_for_upload(
                    graph_for(request),
                    Actor.from_request(request),
                    upload,
                    source=f"Upload: {upload_file.name}"[:500],
                    reason=form.cleaned_data["reason"],
                    why_not=why_not,
                )
                return redirect("attributes:bulk_job", job_id=job.id)
    status = 400 if request.method == "POST" else 200
    return render(request, "attributes/bulk/upload.html", context, status=status)


# Jobs -----------------------------------------------------------------------------------


def _job_for(request: PortalRequest, job_id: uuid.UUID) -> BulkJob:
    """The job, if the person applied it or may read the whole audit log."""
    caps = capabilities(request)
    user = request.user
    job = BulkJob.objects.filter(pk=job_id, tenant_id=user.tenant_id).first()
    if job is None or not (
        job.created_by_object_id == user.object_id or caps.portal_log_read.tenant
    ):
        raise Http404("No such bulk job, or not one you started.")
    return job


@require_GET
@require_attribute_role
def bulk_jobs(request: PortalRequest) -> HttpResponse:
    caps = capabilities(request)
    user = request.user
    listed = jobs.visible_jobs(
        user.tenant_id, user.object_id, everyone=bool(caps.portal_log_read.tenant)
    ).order_by("-created_at")[:100]
    return render(request, "attributes/bulk/jobs.html", {"caps": caps, "jobs": listed})


@require_GET
@require_attribute_role
def bulk_job(request: PortalRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    state = request.GET.get("state", "")
    if state and state not in ItemState.values:
        state = ""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    items = plan.page_of(job, state=state, after_line=after)
    context: dict[str, Any] = {
        "caps": capabilities(request),
        "job": job,
        "progress": jobs.progress(job),
        "items": items,
        "state_filter": state,
        "next_after": items[-1].line if len(items) == plan.PAGE else None,
        "mine": job.created_by_object_id == request.user.object_id,
        "states": ItemState,
        "problems": operations.PROBLEMS,
        "audit_url": f"{reverse('attributes:audit_list')}?job={job.id}",
        "sign_in_url": f"{reverse('auth:sign_in')}?next={request.path}",
    }
    page = template_for(request, "attributes/bulk/job.html", "job-progress")
    return render(request, page, context)


@require_POST
@require_attribute_role
def bulk_job_action(request: PortalRequest, job_id: uuid.UUID, action: str) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.created_by_object_id != request.user.object_id:
        raise Http404("Only the person who started a job can control it.")
    here = reverse("attributes:bulk_job", kwargs={"job_id": job.id})
    if action == "apply":
        if jobs.apply(job, verify=request.POST.get("verify") == "on"):
            messages.success(request, "The job is queued; it starts as soon as a worker is free.")
        else:
            messages.warning(request, "This dry run was already applied or discarded.")
    elif action == "discard":
        jobs.discard(job)
        messages.info(request, "The dry run was discarded; nothing was changed.")
        return redirect("attributes:bulk_jobs")
    elif action == "pause":
        jobs.pause(job)
        messages.info(request, "The job pauses after the batch it is sending.")
    elif action == "resume":
        jobs.resume(job)
    elif action == "cancel":
        jobs.cancel(job)
        messages.info(request, "The job stops after the batch it is sending; nothing more is sent.")
    elif action == "retry":
        return _retry(request, job)
    else:
        raise Http404(f"No action {action!r}.")
    return redirect(here)


def _retry(request: PortalRequest, job: BulkJob) -> HttpResponse:
    caps = capabilities(request)
    definitions = {d.key: d for d in access.readable_definitions(request)}
    retry = plan.draft_retry(
        graph_for(request), Actor.from_request(request), job, definitions, _why_not(caps)
    )
    if retry is None:
        messages.info(request, "No item of this job failed.")
        return redirect("attributes:bulk_job", job_id=job.id)
    return redirect("attributes:bulk_job", job_id=retry.id)


@require_GET
@require_attribute_role
def bulk_report(request: PortalRequest, job_id: uuid.UUID) -> HttpResponseBase:
    """One line per item: its outcome, Graph's request-id and its audit record."""
    job = _job_for(request, job_id)
    response = StreamingHttpResponse(
        csv_lines(REPORT_COLUMNS, _report_rows(job)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="bulk-job-{job.id}.csv"'
    return response


def _report_rows(job: BulkJob) -> Iterator[list[str]]:
    for item in jobs.report_rows(job):
        cells = [
            str(item.line), item.target_id, item.target_type, item.target_name,
            f"{item.attribute_set}/{item.attribute}", item.operation,
            export.cell(item.before), export.cell(item.after), item.state, item.message,
            item.request_id, str(item.audit_seq or ""),
            "" if item.verified is None else str(item.verified).lower(),
        ]  # fmt: skip
        yield [guard(c) for c in cells]
