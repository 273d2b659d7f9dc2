"""The session engine (SESSION_ENGINE): Django's database sessions, indexed by Entra account.

Extended the way Django documents for database-backed engines: a model derived from
`AbstractBaseSession` (`portal.models.PortalSession`) and a `SessionStore` whose
`get_model_class` and `create_model_instance` fill its extra columns. Everything else is
Django's db backend as before: data stays on the server, a save happens only when the
session changed (the token cache is written back only when MSAL changed it), login()
rotates the key, logout() and expiry end the session.

A session holding a token cache carries the tenant id and object id that sign-in stored
next to it (`portal.auth.msal_app.remember_tokens`), so a process acting for a person
later (audit_reconcile, a bulk job's worker) finds that person's token cache with
`live_sessions_of` instead of decoding every session.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone

from portal.auth.msal_app import CACHE_KEY, OBJECT_KEY, TENANT_KEY
from portal.models import PortalSession

if TYPE_CHECKING:
    _DBStore = DBStore[PortalSession]
else:
    _DBStore = DBStore


def token_owner(data: dict[str, Any]) -> tuple[str, str]:
    """(tenant id, object id) of the person whose token cache `data` holds; empty without one."""
    tenant_id, object_id = data.get(TENANT_KEY), data.get(OBJECT_KEY)
    if data.get(CACHE_KEY) and isinstance(tenant_id, str) and isinstance(object_id, str):
        return tenant_id, object_id
    return "", ""


class SessionStore(_DBStore):
    # The name matters beyond SESSION_ENGINE: the signing salt of session data is derived
    # from the class's name, so rows written by Django's own db store still decode.

    @classmethod
    def get_model_class(cls) -> type[PortalSession]:
        return PortalSession

    def create_model_instance(self, data: dict[str, Any]) -> PortalSession:
        session = super().create_model_instance(data)
        session.tenant_id, session.object_id = token_owner(data)
        return session

    async def acreate_model_instance(self, data: dict[str, Any]) -> PortalSession:
        session = await super().acreate_model_instance(data)
        session.tenant_id, session.object_id = token_owner(data)
        return session


def live_sessions_of(
    tenant_id: str, object_id: str, *, limit: int | None = None
) -> list[SessionStore]:
    """The live sessions holding a token cache of the Entra account (`tid`, `oid`).

    Newest first: ordered by expiry, which every save pushes out by SESSION_COOKIE_AGE, so
    the first is the session most recently written (a sign-in, a token refresh, any other
    change; sessions are not written on every request). Expired sessions, signed-out ones
    and sessions without tokens are never returned. One indexed query for the keys; each
    store reads its own row when first used, so a caller that stops early decodes no more
    than it tried. `limit` caps how many are returned.

    A token cache is only as good as its refresh token: using a session listed here can
    still raise `portal.graph.SignInRequired` (revoked, expired, a Conditional Access
    challenge). Use one with `portal.auth.client.graph_for_session`, then hand it to
    `keep_refreshed_tokens`, which writes back what MSAL refreshed, as a request would.
    """
    if not tenant_id or not object_id:
        return []
    keys = (
        PortalSession.objects.filter(
            tenant_id=tenant_id, object_id=object_id, expire_date__gt=timezone.now()
        )
        .order_by("-expire_date")
        .values_list("session_key", flat=True)
    )
    return [SessionStore(session_key=key) for key in (keys if limit is None else keys[:limit])]


def keep_refreshed_tokens(session: SessionBase) -> None:
    """Writes back a session whose token cache MSAL changed while it was used outside a
    request (in a request, the session middleware does this). A session signed out
    meanwhile stays signed out."""
    if not session.modified or session.session_key is None:
        return
    with contextlib.suppress(UpdateError):
        session.save()
