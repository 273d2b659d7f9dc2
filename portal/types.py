from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from portal.graph import RoundTrips
    from portal.models import User


class PortalRequest(HttpRequest):
    """A request that passed LoginRequiredMiddleware: typed for views."""

    user: User
    htmx: HtmxDetails
    # Set for every request by portal.middleware.RequestContextMiddleware.
    correlation_id: str
    graph_round_trips: RoundTrips
