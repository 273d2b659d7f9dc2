"""Request-wide plumbing: correlation ids, the summary log line, Graph round trips, caching,
Graph errors and an unavailable database."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.functional import LazyObject
from django_htmx.http import HttpResponseClientRedirect

from portal.correlation import current_user_id, log_context, set_user_id
from portal.graph import (
    Forbidden,
    GraphError,
    GraphUnavailable,
    InvalidIdentifier,
    NotFound,
    RoundTrips,
    SignInRequired,
    Throttled,
    counting_round_trips,
)
from portal.htmx import template_for
from portal.log_redaction import redact_url
from portal.logs import summary_message
from portal.views import bad_request, database_unavailable

logger = logging.getLogger(__name__)
# One line per request, at its end (portal.logs describes its fields).
request_logger = logging.getLogger("portal.request")
# A summary names at most this many Graph request-ids (an export can make hundreds of calls).
SUMMARY_REQUEST_IDS = 50

_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}\Z")


class RequestContextMiddleware:
    """Gives each request a correlation id and a Graph round-trip counter, and logs its
    summary line when it ends.

    Pages show data read with the person's delegated rights, so no response may be
    stored by the browser or a proxy: the back button after sign-out shows nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        correlation_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        # Both attributes are declared on PortalRequest, the type views see.
        request.correlation_id = correlation_id  # type: ignore[attr-defined]
        with log_context(correlation_id), counting_round_trips() as round_trips:
            request.graph_round_trips = round_trips  # type: ignore[attr-defined]
            response = self.get_response(request)
            _log_summary(request, response, started, round_trips)
        response["X-Request-ID"] = correlation_id
        response["X-Graph-Round-Trips"] = str(round_trips.count)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view that lost the database gets the 503 page; portal.views.server_error does
        the same for a middleware that lost it (a session or user read)."""
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("database unavailable: %s", exception)
            return database_unavailable(request)
        return None


def _log_summary(
    request: HttpRequest, response: HttpResponse, started: float, round_trips: RoundTrips
) -> None:
    user_id = current_user_id()
    # Sign-in's callback replaces the lazy user with the one it signed in.
    signed_in = vars(request).get("user")
    if user_id == "-" and signed_in is not None and not isinstance(signed_in, LazyObject):
        user_id = getattr(signed_in, "object_id", "") or "-"
        set_user_id(user_id)
    fields: dict[str, Any] = {
        "method": request.method,
        "path": redact_url(request.get_full_path()),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "graph_round_trips": round_trips.count,
        "graph_request_ids": round_trips.request_ids[:SUMMARY_REQUEST_IDS],
    }
    if response.streaming:
        # Timed to the first byte: the rest (and its Graph calls) follows as it streams.
        fields["streamed"] = True
    request_logger.info(summary_message(fields), extra={"fields": fields})


def sign_in_redirect(request: HttpRequest) -> HttpResponseRedirectBase:
    """Sends the person to sign in and back to where they were; htmx gets HX-Redirect.

    It starts the sign-in itself rather than showing the landing page, which sends a person
    who still has a portal session (but no usable tokens) straight back.
    """
    htmx = getattr(request, "htmx", None)
    if htmx:
        back = htmx.current_url_abs_path or "/"
    else:
        back = request.get_full_path() if request.method == "GET" else "/"
    url = f"{reverse('auth:start')}?{urlencode({'next': back})}"
    if htmx:
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's (to the landing page), except that an htmx request is told to navigate
    instead of following the redirect and swapping a page into a fragment."""

    # django-stubs declares HttpResponseRedirect here; HX-Redirect (django-htmx's
    # HttpResponseClientRedirect) is its sibling class, a redirect all the same.
    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        response = super().process_view(request, view_func, view_args, view_kwargs)
        if response is None and getattr(view_func, "login_required", True):
            # Signed in (Django's check just read the user): the rest of the request's log
            # lines name the person by Entra object id.
            set_user_id(getattr(request.user, "object_id", ""))
        return response

    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable[..., HttpResponse]
    ) -> HttpResponseRedirectBase:
        if getattr(request, "htmx", None):
            return sign_in_redirect(request)
        return super().handle_no_permission(request, view_func)


class GraphErrorMiddleware:
    """Turns Graph failures that no view handled into a clear page or fragment.

    Signing in again fixes SignInRequired; every other error keeps Graph's own
    message and request-id and says what to do about it. Never a traceback.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, InvalidIdentifier):
            # Refused before any call: nothing here is Graph's answer.
            return bad_request(request, exception)
        if not isinstance(exception, GraphError):
            return None
        if isinstance(exception, SignInRequired):
            return sign_in_redirect(request)
        return render_graph_error(request, exception)


def render_graph_error(request: HttpRequest, error: GraphError) -> HttpResponse:
    status, title = _STATUS_AND_TITLE.get(type(error), (502, "Microsoft Graph refused the request"))
    if status >= 500:
        logger.warning("graph error shown to user: %s (request-id %s)", error, error.request_id)
    htmx = getattr(request, "htmx", None)
    response = render(
        request,
        template_for(request, "errors/graph_error.html", "alert", any_target=True),
        {"error": error, "title": title, "retryable": status >= 500},
        status=status,
    )
    if htmx:
        # A fragment target may be a table cell; the alert belongs at the top of the page.
        response["HX-Retarget"] = "#alerts"
        response["HX-Reswap"] = "innerHTML"
    return response


_STATUS_AND_TITLE: dict[type[GraphError], tuple[int, str]] = {
    Forbidden: (403, "You don't have the role for this"),
    NotFound: (404, "Not found in Microsoft Graph"),
    Throttled: (503, "Microsoft Graph is busy"),
    GraphUnavailable: (503, "Microsoft Graph is not answering"),
}
