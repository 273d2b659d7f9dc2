"""Authorization codes, refresh tokens and the RS256 id and access tokens.

Access tokens are self-contained JWTs; the service also remembers each one's issue serial
and owner, so tokens can be revoked per user or expired all at once from the control
surface. Callers hold the emulator lock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from emulator.identity.clients import Client, Grant
from emulator.identity.oauth_errors import invalid_grant
from emulator.server.pki import SigningKey
from emulator.tenant import demo
from emulator.tenant.model import DirectoryObject

CODE_LIFETIME = 600
ID_TOKEN_LIFETIME = 3600
ACCESS_TOKEN_ISSUER = f"https://sts.windows.net/{demo.TENANT_ID}/"
_VERIFIED_CACHE_LIMIT = 4096


class AccessTokenError(Exception):
    """The bearer token cannot be used for Graph; the message is Graph's."""


@dataclass(slots=True)
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    user_id: str
    grant: Grant
    nonce: str | None
    code_challenge: str | None
    expires_at: float
    auth_time: int
    redeemed: bool = False


@dataclass(slots=True)
class RefreshGrant:
    client_id: str
    user_id: str
    upn: str
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a verified Graph access token speaks for."""

    user_id: str
    upn: str
    app_id: str
    scopes: frozenset[str]  # lower-cased short scope names


@dataclass(slots=True)
class TokenService:
    signing_key: SigningKey
    issuer: str
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    access_serials: dict[str, tuple[int, str]] = field(default_factory=dict)  # uti -> serial, upn
    revoked_before: dict[str, int] = field(default_factory=dict)  # upn -> serial
    expired_before: int = 0
    serial: int = 0
    grants: dict[str, int] = field(default_factory=dict)
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget revocations, forced expiry and counters; issued tokens stay usable."""
        self.revoked_before.clear()
        self.expired_before = 0
        self.grants.clear()
        for grant in self.refresh_tokens.values():
            grant.revoked = False

    def count_grant(self, grant_type: str) -> None:
        self.grants[grant_type] = self.grants.get(grant_type, 0) + 1

    # -- authorization codes ----------------------------------------------------------

    def issue_code(self, code: AuthorizationCode) -> str:
        value = "1.A" + secrets.token_urlsafe(48)
        self.codes[value] = code
        return value

    def redeem_code(
        self, value: str, client: Client, redirect_uri: str, verifier: str | None
    ) -> AuthorizationCode:
        code = self.codes.get(value)
        if code is None or code.client_id != client.client_id:
            raise invalid_grant(
                9002313,
                "Invalid request. Request is malformed or invalid. (The code is not valid.)",
            )
        if code.redeemed:
            raise invalid_grant(
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                "code or use an existing refresh token.",
            )
        if code.expires_at < time.time():
            raise invalid_grant(
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity. Send a new interactive authorization request for this user and "
                "resource.",
            )
        if redirect_uri != code.redirect_uri:
            raise invalid_grant(
                500117,
                "The reply uri specified in the request does not match the reply uri used when "
                "the authorization code was requested.",
            )
        if code.code_challenge is not None and (
            verifier is None or _s256(verifier) != code.code_challenge
        ):
            raise invalid_grant(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the "
                "authorization request.",
            )
        code.redeemed = True
        return code

    # -- refresh tokens ---------------------------------------------------------------

    def use_refresh_token(self, value: str, client: Client) -> RefreshGrant:
        grant = self.refresh_tokens.get(value)
        if grant is None or grant.client_id != client.client_id:
            raise invalid_grant(9002313, "Invalid request. Request is malformed or invalid.")
        if grant.revoked:
            raise invalid_grant(
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth token is "
                "needed. The user might have changed or reset their password.",
                suberror="bad_token",
            )
        return grant

    def revoke_user(self, upn: str) -> int:
        """Revoke the user's refresh tokens and every access token issued to them so far."""
        wanted = upn.lower()
        self.revoked_before[wanted] = self.serial
        revoked = 0
        for grant in self.refresh_tokens.values():
            if grant.upn == wanted and not grant.revoked:
                grant.revoked = True
                revoked += 1
        return revoked

    def expire_access_tokens(self) -> None:
        self.expired_before = self.serial

    # -- token responses --------------------------------------------------------------

    def token_response(
        self,
        user: DirectoryObject,
        client: Client,
        grant: Grant,
        *,
        access_lifetime: int,
        nonce: str | None = None,
        auth_time: int | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        response: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": grant.response_scope,
            "expires_in": access_lifetime,
            "ext_expires_in": access_lifetime,
            "access_token": self._access_token(user, client, grant, now, access_lifetime),
        }
        if grant.offline:
            refresh = "0.A" + secrets.token_urlsafe(64)
            upn = str(user.properties["userPrincipalName"]).lower()
            self.refresh_tokens[refresh] = RefreshGrant(client.client_id, user.id, upn)
            response["refresh_token"] = refresh
        if "openid" in grant.oidc:
            response["id_token"] = self._id_token(user, client, grant, now, nonce, auth_time)
        response["client_info"] = _b64url_json({"uid": user.id, "utid": demo.TENANT_ID})
        return response

    def _id_token(
        self,
        user: DirectoryObject,
        client: Client,
        grant: Grant,
        now: int,
        nonce: str | None,
        auth_time: int | None,
    ) -> str:
        claims: dict[str, Any] = {
            "aud": client.client_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + ID_TOKEN_LIFETIME,
            "name": user.display_name,
            "oid": user.id,
            "preferred_username": user.properties["userPrincipalName"],
            "rh": "0.AXEAemulator.",
            "sub": _pairwise_subject(user.id, client.client_id),
            "tid": demo.TENANT_ID,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if auth_time is not None:
            claims["auth_time"] = auth_time
        if "email" in grant.oidc and user.properties.get("mail"):
            claims["email"] = user.properties["mail"]
        return self._sign(claims)

    def _access_token(
        self, user: DirectoryObject, client: Client, grant: Grant, now: int, lifetime: int
    ) -> str:
        self.serial += 1
        uti = secrets.token_urlsafe(16)
        upn = str(user.properties["userPrincipalName"])
        self.access_serials[uti] = (self.serial, upn.lower())
        claims = {
            "aud": demo.GRAPH_RESOURCE,
            "iss": ACCESS_TOKEN_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "app_displayname": client.name,
            "appid": client.client_id,
            "appidacr": "0" if client.is_public else "1",
            "idtyp": "user",
            "name": user.display_name,
            "oid": user.id,
            "scp": grant.scp,
            "sub": _pairwise_subject(user.id, demo.GRAPH_APP_ID),
            "tid": demo.TENANT_ID,
            "unique_name": upn,
            "upn": upn,
            "uti": uti,
            "ver": "1.0",
        }
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims,
            self.signing_key.private_key,
            algorithm="RS256",
            headers={"kid": self.signing_key.kid, "x5t": self.signing_key.kid},
        )

    # -- verification -----------------------------------------------------------------

    def verify_access_token(self, token: str) -> Caller:
        claims = self._verified.get(token) or self._decode(token)
        if claims["exp"] <= time.time():
            raise AccessTokenError("Access token has expired or is not yet valid.")
        serial, upn = self.access_serials.get(claims["uti"], (0, ""))
        if serial == 0:
            raise AccessTokenError("Access token validation failure.")
        if serial <= self.revoked_before.get(upn, 0):
            raise AccessTokenError(
                "Continuous access evaluation resulted in challenge with result: "
                "InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp"
            )
        if serial <= self.expired_before:
            raise AccessTokenError("Access token has expired or is not yet valid.")
        return Caller(
            user_id=claims["oid"],
            upn=claims["upn"],
            app_id=claims["appid"],
            scopes=frozenset(s.lower() for s in claims["scp"].split()),
        )

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            # Audience and issuer are checked below, audience first, as Graph reports it.
            claims = jwt.decode(
                token,
                self.signing_key.private_key.public_key(),
                algorithms=["RS256"],
                options={
                    "verify_aud": False,
                    "verify_iss": False,
                    "require": ["exp", "iat", "nbf"],
                },
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as error:
            raise AccessTokenError("Access token has expired or is not yet valid.") from error
        except jwt.DecodeError as error:
            raise AccessTokenError(
                "IDX14100: JWT is not well formed, there are no dots (.) or the token is not "
                "a valid JWS."
            ) from error
        except jwt.InvalidTokenError as error:
            raise AccessTokenError("Access token validation failure.") from error
        if claims.get("aud") != demo.GRAPH_RESOURCE:
            raise AccessTokenError("Access token validation failure. Invalid audience.")
        if claims.get("iss") != ACCESS_TOKEN_ISSUER or not {"oid", "scp", "uti"} <= set(claims):
            raise AccessTokenError("Access token validation failure. Invalid issuer.")
        if len(self._verified) >= _VERIFIED_CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = claims
        return claims


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _b64url_json(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _pairwise_subject(object_id: str, app_id: str) -> str:
    """Entra's `sub` differs per application for the same user."""
    digest = hashlib.sha256(f"{object_id}:{app_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:43]
