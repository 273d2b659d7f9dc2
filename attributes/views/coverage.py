"""Coverage: the objects of a kind that lack required attributes, with counts per kind."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from attributes import access, coverage
from attributes.access import capabilities, require_attribute_role
from portal.auth.client import graph_for
from portal.types import PortalRequest


def _form(request: PortalRequest) -> coverage.CoverageForm:
    definitions = sorted(
        access.readable_definitions(request),
        key=lambda d: (d.attribute_set.casefold(), d.name.casefold()),
    )
    return coverage.CoverageForm(request.GET or None, definitions=definitions)


@require_GET
@require_attribute_role
def coverage_report(request: PortalRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, Any] = {"caps": capabilities(request), "form": form}
    status = 200
    if form.is_bound:
        if form.is_valid():
            context["report"] = coverage.report(
                graph_for(request), form.chosen(), form.cleaned_data["tab"]
            )
            context["query"] = request.GET.urlencode()
        else:
            status = 400
    return render(request, "attributes/coverage/report.html", context, status=status)


@require_GET
@require_attribute_role
def coverage_export(request: PortalRequest) -> HttpResponseBase:
    """The gap list in the who-has-what format: fill in the empty cells and import it."""
    form = _form(request)
    if not form.is_valid():
        context = {"caps": capabilities(request), "form": form}
        return render(request, "attributes/coverage/report.html", context, status=400)
    rows = coverage.gaps_csv(graph_for(request), form.chosen(), form.cleaned_data["tab"])
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="coverage-gaps.csv"'
    return response
