"""The identity provider's metadata, and validation of the id_token it returns.

MSAL 1.38+ only decodes the id_token, so the portal checks it itself: the RS256
signature against the provider's published keys (JWKS), the issuer, the
audience (our client id), the validity window, and the nonce of this sign-in.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings

from portal.http import http_session

METADATA_TTL = 3600.0
# A token signed with a key we have not seen triggers a JWKS refetch, at most this often.
JWKS_REFRESH_INTERVAL = 60.0
CLOCK_SKEW = 120


class InvalidIdToken(Exception):
    """The id_token failed a check; the message says which, for the log."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


class _TtlCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, max_age: float) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry and time.monotonic() - entry[0] < max_age:
            return entry[1]
        return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), value)


_metadata_cache = _TtlCache()
_jwks_cache = _TtlCache()


def _fetch_json(url: str) -> dict[str, Any]:
    response = http_session().get(url)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def provider_metadata() -> ProviderMetadata:
    """The OpenID configuration of PORTAL_AUTHORITY (Entra's v2.0 discovery document)."""
    url = f"{settings.PORTAL_AUTHORITY}/v2.0/.well-known/openid-configuration"
    cached = _metadata_cache.get(url, METADATA_TTL)
    if cached is None:
        document = _fetch_json(url)
        cached = ProviderMetadata(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=document.get("end_session_endpoint"),
        )
        _metadata_cache.put(url, cached)
    return cached


def _signing_key(jwks_uri: str, kid: str | None) -> jwt.PyJWK:
    for max_age in (METADATA_TTL, JWKS_REFRESH_INTERVAL):
        keys = _jwks_cache.get(jwks_uri, max_age)
        if keys is None:
            keys = jwt.PyJWKSet.from_dict(_fetch_json(jwks_uri))
            _jwks_cache.put(jwks_uri, keys)
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key
    raise InvalidIdToken(f"no published signing key has kid {kid!r}")


def expected_nonce(raw_nonce: str) -> str:
    """MSAL sends the SHA-256 hex digest of the flow's nonce; the IdP echoes that."""
    return hashlib.sha256(raw_nonce.encode()).hexdigest()


def validate_id_token(
    id_token: str,
    *,
    key: jwt.PyJWK,
    issuer: str,
    audience: str,
    nonce: str,
    tenant_id: str | None = None,
) -> dict[str, Any]:
    """Checks signature, iss, aud, exp/nbf/iat and nonce; returns the claims."""
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"not a JWT: {exc}") from None
    # Multi-tenant authorities publish an issuer template with {tenantid} in it.
    issuer = issuer.replace("{tenantid}", str(unverified.get("tid", "")))
    try:
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=CLOCK_SKEW,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(str(exc)) from None
    if claims["nonce"] != nonce:
        raise InvalidIdToken("the nonce does not belong to this sign-in")
    if tenant_id and claims.get("tid") != tenant_id:
        raise InvalidIdToken(f"the token is for tenant {claims.get('tid')!r}, not {tenant_id!r}")
    return claims


def verify_id_token(id_token: str, *, raw_nonce: str) -> dict[str, Any]:
    """Validates an id_token from PORTAL_AUTHORITY for this portal and this sign-in."""
    metadata = provider_metadata()
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"not a JWT: {exc}") from None
    tenant = settings.PORTAL_TENANT_ID
    return validate_id_token(
        id_token,
        key=_signing_key(metadata.jwks_uri, kid),
        issuer=metadata.issuer,
        audience=settings.PORTAL_CLIENT_ID,
        nonce=expected_nonce(raw_nonce),
        tenant_id=None if tenant in {"common", "organizations"} else _tenant_guid(tenant),
    )


def _tenant_guid(tenant: str) -> str | None:
    # A tenant given by domain name ("contoso.example") cannot be compared with `tid`;
    # the issuer check already pins the tenant in that case.
    return tenant if len(tenant) == 36 and tenant.count("-") == 4 else None
