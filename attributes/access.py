"""Access helpers views open with: who is this, and what may they do here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from attributes.capabilities import Capabilities, read_capabilities
from portal.auth.client import graph_for
from portal.graph import Forbidden

SESSION_KEY = "capabilities"


def capabilities(request: HttpRequest) -> Capabilities:
    """The person's capabilities, read from Graph once and then kept in the session."""
    cached = getattr(request, "_capabilities", None)
    if cached is not None:
        return cached
    data = request.session.get(SESSION_KEY)
    if data is None:
        caps = read_capabilities(graph_for(request), request.user.object_id)  # type: ignore[union-attr]
        request.session[SESSION_KEY] = caps.to_session()
    else:
        caps = Capabilities.from_session(data)
    request._capabilities = caps  # type: ignore[attr-defined]
    return caps


def forget_capabilities(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop("_capabilities", None)


GRAPH_REFUSED = (
    "Microsoft Graph refused this with your current Entra roles. Reading attribute sets and "
    "definitions needs Attribute Definition Reader or Administrator, or an Attribute "
    "Assignment role; changing them needs Attribute Definition Administrator; Entra's audit "
    "feed needs Attribute Log Reader. Each can be granted for the whole tenant or for one "
    "attribute set. If a role was assigned recently, use “Refresh my roles” on the home page."
)


def require_attribute_role(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Shows the "no attribute roles" page instead of a view the person cannot use, and
    makes a refusal from Graph name the roles that would have allowed it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        caps = capabilities(request)
        if not caps.has_attribute_role:
            return render(request, "attributes/no_roles.html", {"caps": caps}, status=403)
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            exc.needed = exc.needed or GRAPH_REFUSED
            raise

    return wrapper
