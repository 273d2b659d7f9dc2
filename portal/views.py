"""The health and readiness endpoints, and the pages for a bad request, an unavailable
database and a failure of the portal."""

from __future__ import annotations

import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from portal import readiness
from portal.correlation import current_correlation_id

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness, for the container HEALTHCHECK: is the process up and the database reachable?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, for a load balancer: 503 naming each check that failed (portal.readiness)."""
    checks = readiness.checks()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _request_id(request: HttpRequest) -> str:
    return getattr(request, "correlation_id", None) or current_correlation_id()


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400, and what a refused identifier (portal.graph.InvalidIdentifier) shows."""
    context = {"exception": str(exception or ""), "request_id": _request_id(request)}
    return render(request, "400.html", context, status=400)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 in the portal's layout, rendered without the request's context processors (the
    signed-in user is read from the database that just failed)."""
    page = render_to_string("503.html", {"request_id": _request_id(request)})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = "5"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the portal's layout and the request id, never a traceback. Rendered
    without the request's context processors, which may need what just failed.

    A database that went away before the view ran (reading the session or the user, in a
    middleware) lands here rather than in RequestContextMiddleware.process_exception, and
    gets the same 503 page."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    page = render_to_string("500.html", {"request_id": _request_id(request)})
    return HttpResponseServerError(page)
