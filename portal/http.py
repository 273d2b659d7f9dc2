"""The one HTTPS transport the portal uses for Entra sign-in and Microsoft Graph.

MSAL's `http_client` and the Graph client share it, so timeouts, the CA bundle and
proxies are configured once. `trust_env` is off on purpose: otherwise a
REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE in the environment silently replaces the CA
bundle the portal was told to trust, and HTTPS_PROXY variables route traffic
somewhere nobody configured.
"""

from __future__ import annotations

import functools
from typing import Any

import requests
from django.conf import settings

USER_AGENT = "attribute-portal/0.1 (+https://github.com/attribute-portal)"


class TimeoutSession(requests.Session):
    """A session that never waits forever: every request gets the default timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)


@functools.cache
def _session(ca_bundle: str | None, proxy: str | None, timeout: float) -> TimeoutSession:
    session = TimeoutSession(timeout)
    session.trust_env = False
    session.verify = ca_bundle or True
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    session.headers["User-Agent"] = USER_AGENT
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def http_session() -> TimeoutSession:
    """The shared session for the current settings (tests point them at the emulator)."""
    return _session(
        settings.PORTAL_CA_BUNDLE, settings.PORTAL_HTTP_PROXY, settings.PORTAL_HTTP_TIMEOUT
    )
