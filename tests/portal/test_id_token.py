"""The portal's own id_token checks: signature, issuer, audience, lifetime, nonce, tenant."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portal.auth.oidc import InvalidIdToken, expected_nonce, validate_id_token

ISSUER = "https://login.example/tenant-1/v2.0"
CLIENT = "client-1"
RAW_NONCE = "raw-nonce-from-the-flow"

SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _published(key: rsa.RSAPrivateKey) -> jwt.PyJWK:
    return jwt.PyJWK(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "RS256")


def _token(key: rsa.RSAPrivateKey = SIGNING_KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "subject",
        "oid": "object-1",
        "tid": "tenant-1",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "nonce": expected_nonce(RAW_NONCE),
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


def _validate(token: str, **kwargs: Any) -> dict[str, Any]:
    options = {
        "key": _published(SIGNING_KEY),
        "issuer": ISSUER,
        "audience": CLIENT,
        "nonce": expected_nonce(RAW_NONCE),
        "tenant_id": "tenant-1",
    }
    options.update(kwargs)
    return validate_id_token(token, **options)


def test_a_good_token_passes_and_returns_its_claims() -> None:
    claims = _validate(_token())
    assert claims["oid"] == "object-1"


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (_token(OTHER_KEY), "Signature verification failed"),
        (_token(aud="someone-else"), "Audience doesn't match"),
        (_token(iss="https://evil.example/v2.0"), "Invalid issuer"),
        (_token(exp=int(time.time()) - 3600), "Signature has expired"),
        (_token(nonce=None), 'Token is missing the "nonce" claim'),
        (_token(nonce=expected_nonce("another sign-in")), "nonce does not belong"),
        (_token(tid="tenant-2"), "not 'tenant-1'"),
        ("not-a-jwt", "not a JWT"),
    ],
    ids=[
        "bad-signature",
        "wrong-aud",
        "wrong-iss",
        "expired",
        "no-nonce",
        "wrong-nonce",
        "other-tenant",
        "garbage",
    ],
)
def test_bad_tokens_are_refused(token: str, message: str) -> None:
    with pytest.raises(InvalidIdToken, match=message):
        _validate(token)


def test_an_unsigned_token_is_refused() -> None:
    unsigned = jwt.encode({"iss": ISSUER, "aud": CLIENT}, key=None, algorithm="none")
    with pytest.raises(InvalidIdToken, match="alg"):
        _validate(unsigned)


def test_a_multi_tenant_issuer_template_is_filled_from_tid() -> None:
    claims = _validate(
        _token(iss="https://login.example/tenant-1/v2.0"),
        issuer="https://login.example/{tenantid}/v2.0",
        tenant_id=None,
    )
    assert claims["tid"] == "tenant-1"
