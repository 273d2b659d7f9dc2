from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "debug": settings.DEBUG,
        "graph_round_trips": getattr(request, "graph_round_trips", None),
        "correlation_id": getattr(request, "correlation_id", ""),
        "roles_max_age_minutes": max(1, round(settings.PORTAL_ROLES_MAX_AGE / 60)),
    }
