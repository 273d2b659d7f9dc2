from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from portal.models import User


class PortalRequest(HttpRequest):
    """A request that passed LoginRequiredMiddleware: typed for views."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails
