"""The health endpoint, and the pages for a bad request and for a failure of the portal."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from portal.correlation import current_correlation_id

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and the container HEALTHCHECK: is the database reachable?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "correlation_id", None) or current_correlation_id()


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400, and what a refused identifier (portal.graph.InvalidIdentifier) shows."""
    context = {"exception": str(exception or ""), "request_id": _request_id(request)}
    return render(request, "400.html", context, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the portal's layout and the request id, never a traceback. Rendered
    without the request's context processors, which may need what just failed."""
    page = render_to_string("500.html", {"request_id": _request_id(request)})
    return HttpResponseServerError(page)
