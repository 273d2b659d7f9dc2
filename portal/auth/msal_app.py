"""Everything that touches MSAL: the app, the per-session token cache, and tokens.

The token cache lives in the person's server-side session and is written back only
when MSAL changed it. A fresh ConfidentialClientApplication is cheap to build around
that cache; the discovery metadata it fetches is shared through `_HTTP_CACHE`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, cast

import msal
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from portal.graph import SignInRequired
from portal.http import http_session

logger = logging.getLogger(__name__)

# Delegated Graph permissions the portal asks for. Entra still limits each person to
# what their directory roles allow; these only let the portal ask on their behalf.
GRAPH_SCOPES = [
    "https://graph.microsoft.com/CustomSecAttributeDefinition.ReadWrite.All",
    "https://graph.microsoft.com/CustomSecAttributeAssignment.ReadWrite.All",
    "https://graph.microsoft.com/CustomSecAttributeAuditLogs.Read.All",
    "https://graph.microsoft.com/User.Read.All",
    "https://graph.microsoft.com/Application.Read.All",
    "https://graph.microsoft.com/RoleManagement.Read.Directory",
    "https://graph.microsoft.com/User.Read",
]

CACHE_KEY = "msal_token_cache"
ACCOUNT_KEY = "msal_home_account_id"
# Whose token cache this is, as the verified id_token named them (tid, oid): the
# session store copies them into indexed columns (portal.auth.sessions).
TENANT_KEY = "entra_tenant_id"
OBJECT_KEY = "entra_object_id"

_HTTP_CACHE: dict[Any, Any] = {}


def _client_credential() -> str | dict[str, str]:
    # portal/settings.py refuses to start without a secret, or a certificate and its
    # thumbprint, so whichever is configured is there.
    if settings.PORTAL_CLIENT_CERTIFICATE:
        return {
            "private_key": Path(settings.PORTAL_CLIENT_CERTIFICATE).read_text(),
            "thumbprint": cast(str, settings.PORTAL_CLIENT_CERTIFICATE_THUMBPRINT),
        }
    return cast(str, settings.PORTAL_CLIENT_SECRET)


def build_app(cache: msal.TokenCache | None = None) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        settings.PORTAL_CLIENT_ID,
        client_credential=_client_credential(),
        authority=settings.PORTAL_AUTHORITY,
        # Instance discovery asks login.microsoftonline.com about the authority's host;
        # the portal is configured with one authority and trusts it as given.
        instance_discovery=False,
        token_cache=cache,
        http_client=http_session(),
        http_cache=_HTTP_CACHE,
    )


def load_cache(session: SessionBase) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    if blob := session.get(CACHE_KEY):
        cache.deserialize(blob)
    return cache


def save_cache(session: SessionBase, cache: msal.SerializableTokenCache) -> None:
    # has_state_changed is reset by serialize(), so it must be read first.
    if cache.has_state_changed:
        session[CACHE_KEY] = cache.serialize()


def start_flow(redirect_uri: str, login_hint: str | None = None) -> dict[str, Any]:
    """Starts the auth code flow (PKCE, state and nonce come from MSAL)."""
    with warnings.catch_warnings():
        # MSAL recommends form_post, which needs SameSite=None cookies; the query mode
        # with SameSite=Lax is the safer pairing (stack-notes M5).
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow: dict[str, Any] = build_app().initiate_auth_code_flow(
            GRAPH_SCOPES,
            redirect_uri=redirect_uri,
            prompt="select_account",
            login_hint=login_hint,
            response_mode="query",
        )
        return flow


def redeem_code(
    flow: dict[str, Any], auth_response: dict[str, str]
) -> tuple[dict[str, Any], msal.SerializableTokenCache]:
    """Redeems the authorization code into a new cache; the result has `error` on failure.

    MSAL checks `state` (ValueError) and the id_token's nonce (RuntimeError) here.
    """
    cache = msal.SerializableTokenCache()
    result = build_app(cache).acquire_token_by_auth_code_flow(flow, auth_response)
    return result, cache


def remember_tokens(
    session: SessionBase, cache: msal.SerializableTokenCache, *, tenant_id: str, object_id: str
) -> None:
    """Keeps the signed-in person's tokens in their (already rotated) session, with the
    tenant id and object id of the id_token they came with."""
    accounts = build_app(cache).get_accounts()
    account = next((a for a in accounts if a.get("local_account_id") == object_id), None)
    if account is None:
        raise SignInRequired("Microsoft returned no account for this sign-in.", code="NoAccount")
    session[ACCOUNT_KEY] = account["home_account_id"]
    session[CACHE_KEY] = cache.serialize()
    session[TENANT_KEY] = tenant_id
    session[OBJECT_KEY] = object_id


def forget_tokens(session: SessionBase) -> None:
    for key in (CACHE_KEY, ACCOUNT_KEY, TENANT_KEY, OBJECT_KEY):
        session.pop(key, None)


class SessionTokens:
    """Delegated Graph tokens for the person whose session this is.

    `acquire_token_silent` runs before Graph calls; a token is reused for the rest of
    the request. When MSAL cannot get one without the person (refresh token expired
    or revoked, consent withdrawn, a Conditional Access challenge), SignInRequired.
    """

    def __init__(self, session: SessionBase) -> None:
        self.session = session
        self._token: str | None = None

    def __call__(self, *, force_refresh: bool = False) -> str:
        if self._token and not force_refresh:
            return self._token
        home_account_id = self.session.get(ACCOUNT_KEY)
        if not home_account_id:
            raise SignInRequired("You are not signed in to Microsoft.", code="NoAccount")
        cache = load_cache(self.session)
        app = build_app(cache)
        account = next(
            (a for a in app.get_accounts() if a["home_account_id"] == home_account_id), None
        )
        result = (
            app.acquire_token_silent_with_error(
                GRAPH_SCOPES, account=account, force_refresh=force_refresh
            )
            if account
            else None
        )
        save_cache(self.session, cache)
        if not result or "access_token" not in result:
            error = (result or {}).get("error", "no_cached_token")
            logger.info("silent token acquisition failed: %s", error)
            raise SignInRequired(
                "Your Microsoft sign-in has expired. Sign in again to continue.", code=error
            )
        self._token = result["access_token"]
        return self._token
