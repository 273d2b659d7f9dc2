from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.models import User


class EntraBackend:
    """Signs in the person an Entra id_token names, keyed by tenant id and object id.

    The id_token has already been validated (portal.auth.oidc) when this runs.
    """

    def authenticate(
        self, request: HttpRequest | None, *, id_token_claims: dict[str, Any] | None = None
    ) -> User | None:
        if not id_token_claims:
            return None
        tenant_id, object_id = id_token_claims.get("tid"), id_token_claims.get("oid")
        if not tenant_id or not object_id:
            return None
        user, _ = User.objects.get_or_create(tenant_id=tenant_id, object_id=object_id)
        user.user_principal_name = id_token_claims.get("preferred_username", "")
        user.display_name = id_token_claims.get("name", "")
        user.save()
        return user if user.is_active else None

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
