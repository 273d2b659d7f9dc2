"""The Graph client for a request, acting as the person who made it."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from portal import write_budget
from portal.auth.msal_app import TENANT_KEY, SessionTokens
from portal.graph import GraphClient
from portal.http import http_session


def graph_for_session(
    session: SessionBase, *, retry_budget: float | None = None, background: bool = False
) -> GraphClient:
    """A client acting as the person whose token cache `session` holds.

    `retry_budget` (seconds) lowers the configured one, for callers with a deadline. A
    client for a person's clicks counts its writes against the tenant's write budget as
    it makes them; `background` work takes its writes from that budget before it sends
    them (portal.write_budget), so it counts none here.
    """
    budget = settings.PORTAL_GRAPH_RETRY_BUDGET
    tenant_id = session.get(TENANT_KEY)
    return GraphClient(
        session=http_session(),
        token_provider=SessionTokens(session),
        base_url=settings.PORTAL_GRAPH_URL,
        retry_budget=budget if retry_budget is None else max(0.0, min(budget, retry_budget)),
        on_writes=None
        if background or not isinstance(tenant_id, str)
        else partial(write_budget.spend, tenant_id),
    )


def graph_for(request: HttpRequest) -> GraphClient:
    """One client per request, so the token is fetched once and round trips add up."""
    client = getattr(request, "_graph_client", None)
    if client is None:
        client = graph_for_session(request.session)
        # One client per request, kept on it (HttpRequest does not declare the attribute).
        request._graph_client = client  # type: ignore[attr-defined]
    return client
