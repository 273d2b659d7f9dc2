"""Readiness: can this instance serve people now? For a load balancer's /readyz probe.

Two checks, each cheap: the database answers a query, and the authority's OpenID
discovery document (what MSAL reads before every sign-in) can be fetched through the
portal's own HTTPS transport, so a CA bundle or proxy that is wrong shows here first. A
good answer from the authority is kept for `AUTHORITY_OK_SECONDS`, so that probes every
few seconds from each load balancer do not each cost a call to Entra; a failure is never
kept, so an instance is ready again at the first probe after the authority recovers.
"""

from __future__ import annotations

import threading
import time

import requests
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection

from portal.http import http_session

AUTHORITY_OK_SECONDS = 30.0
# A probe gives up on the authority long before a load balancer gives up on the probe.
AUTHORITY_TIMEOUT = 3.0

_lock = threading.Lock()
_authority_ok_at: dict[str, float] = {}


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"unreachable ({type(exc).__name__})"
    return "ok"


def authority() -> str:
    url = f"{settings.PORTAL_AUTHORITY}/v2.0/.well-known/openid-configuration"
    with _lock:
        ok_at = _authority_ok_at.get(url)
    if ok_at is not None and time.monotonic() - ok_at < AUTHORITY_OK_SECONDS:
        return "ok"
    timeout = min(AUTHORITY_TIMEOUT, settings.PORTAL_HTTP_TIMEOUT)
    try:
        response = http_session().get(url, timeout=timeout)
    except requests.RequestException as exc:
        return f"unreachable ({type(exc).__name__})"
    if response.status_code != 200:
        return f"unreachable (HTTP {response.status_code})"
    try:
        has_issuer = "issuer" in response.json()
    except ValueError:
        has_issuer = False
    if not has_issuer:
        return "unreachable (not an OpenID discovery document)"
    with _lock:
        _authority_ok_at[url] = time.monotonic()
    return "ok"


def checks() -> dict[str, str]:
    """Each check's result: "ok", or what failed (never a URL, a host or a message)."""
    return {"database": database(), "authority": authority()}
