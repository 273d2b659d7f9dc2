"""The health and readiness endpoints, and the pages for a bad request, an unavailable
database and a failure of the portal."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
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


def _too_much(exception: Exception | None) -> str | None:
    """What to tell a person whose request Django refused for its size (the limits are
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE, _NUMBER_FIELDS and _NUMBER_FILES)."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2**20
        return (
            f"The request was too large: the portal takes at most {limit:.1f} MB of form "
            "data at once (a CSV file for a bulk change may be up to 5 MB). "
            "Send less at a time, or upload the changes as a file."
        )
    if isinstance(exception, TooManyFieldsSent):
        return (
            "The request was too large: it had more than "
            f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields. To change that many "
            "objects, use “Change all matching” or upload the changes as a file."
        )
    if isinstance(exception, TooManyFilesSent):
        return (
            "The request was too large: it had more than "
            f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES:,} files. Upload one file at a time."
        )
    return None


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400, and what a refused identifier (portal.graph.InvalidIdentifier) shows."""
    message = _too_much(exception) or str(exception or "")
    context = {"exception": message, "request_id": _request_id(request)}
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
