from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from attributes.access import capabilities, forget_capabilities
from attributes.capabilities import PRIVILEGED_ROLE_ADMINISTRATOR, ROLE_NAMES
from portal.types import PortalRequest


@require_GET
def home(request: PortalRequest) -> HttpResponse:
    """Who you are, your tenant, your attribute roles and scopes, and where you can go."""
    caps = capabilities(request)
    template = "attributes/home.html" if caps.has_attribute_role else "attributes/no_roles.html"
    return render(
        request,
        template,
        {"caps": caps, "granting_role": ROLE_NAMES[PRIVILEGED_ROLE_ADMINISTRATOR]},
    )


@require_POST
def refresh_roles(request: PortalRequest) -> HttpResponse:
    forget_capabilities(request)
    caps = capabilities(request)
    messages.success(
        request,
        f"Your roles were read again from Entra: {len(caps.attribute_grants)} attribute role "
        f"assignment{'s' if len(caps.attribute_grants) != 1 else ''}.",
    )
    return redirect("attributes:home")
