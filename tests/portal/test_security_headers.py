"""Security review (issue 14), item 3: with DEBUG off and production's settings, sign-in
rotates the session key, cookies are Secure, HttpOnly and SameSite, and every response
carries HSTS, a strict CSP and the anti-framing headers."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.html import Html
from tests.portal.helpers import python_in_clean_environment

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
YEAR = 365 * 24 * 3600
# What a production deployment sets (README, "Production deployment"); the rest of the
# security settings are the defaults with DEBUG off.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "production-like-secret-key-" + "s" * 40,
    "PORTAL_AUDIT_KEY": "production-like-audit-key-" + "a" * 40,
    "ALLOWED_HOSTS": "portal.example",
    "PORTAL_TENANT_ID": "contoso.example",
    "PORTAL_CLIENT_ID": "0a1b2c3d-0000-4000-8000-000000000001",
    "PORTAL_CLIENT_SECRET": "a-real-tenants-secret-from-its-vault",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": str(YEAR),
}
SHOWN = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "SESSION_ENGINE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
)


def test_production_settings_default_to_secure_cookies_and_the_headers() -> None:
    code = "from django.conf import settings as s; " + "; ".join(
        f"print({name!r}, repr(s.{name}))" for name in SHOWN
    )
    result = python_in_clean_environment(
        code, **PRODUCTION, DJANGO_SETTINGS_MODULE="portal.settings"
    )
    assert result.returncode == 0, result.stderr
    values = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert values == {
        "SESSION_COOKIE_SECURE": "True",
        "SESSION_COOKIE_HTTPONLY": "True",
        "SESSION_COOKIE_SAMESITE": "'Lax'",
        "CSRF_COOKIE_SECURE": "True",
        "CSRF_COOKIE_HTTPONLY": "True",
        "CSRF_COOKIE_SAMESITE": "'Lax'",
        # Server-side: the session holds the person's token cache.
        "SESSION_ENGINE": "'portal.auth.sessions'",
        "SECURE_HSTS_SECONDS": str(YEAR),
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "SECURE_SSL_REDIRECT": "True",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
        "X_FRAME_OPTIONS": "'DENY'",
        "SECURE_CONTENT_TYPE_NOSNIFF": "True",
    }


def test_djangos_deployment_checks_pass_with_production_settings(tmp_path: Path) -> None:
    environment = {
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    check = "from django.core.management import execute_from_command_line as run; run(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
    result = python_in_clean_environment(check, **environment)
    # The only advice left is HSTS preloading, which is the operator's choice.
    assert result.returncode == 1
    assert re.findall(r"\(([a-z_.]+\.[WE]\d+)\)", result.stderr) == ["security.W021"]
    preloaded = python_in_clean_environment(check, **environment, SECURE_HSTS_PRELOAD="true")
    assert preloaded.returncode == 0, preloaded.stderr
    assert "no issues" in preloaded.stdout


SECURE = override_settings(
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_HSTS_SECONDS=YEAR,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_SSL_REDIRECT=True,
    # The emulator's demo app registration lists http://localhost only.
    PORTAL_REDIRECT_URI="http://localhost/auth/callback",
)


def _signed_in_over_https(client: Client, emu: EmulatorProcess) -> tuple[str, Client]:
    """Signs in over https as a browser would; returns the session key it had before."""
    start = client.get("/auth/sign-in/microsoft", {"next": "/sets/"}, secure=True)
    assert start.status_code == 302, start.content.decode()[:2000]
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    callback = urlsplit(emu.complete_sign_in(start["Location"], demo.ADA.user_principal_name))
    finished = client.get(f"{callback.path}?{callback.query}", secure=True)
    assert finished.status_code == 302, finished.content.decode()[:2000]
    assert finished["Location"] == "/sets/"
    return before, client


def _cookie_flags(response: object, name: str) -> tuple[bool, bool, str]:
    cookie = response.cookies[name]  # type: ignore[attr-defined]
    return bool(cookie["secure"]), bool(cookie["httponly"]), cookie["samesite"]


@SECURE
def test_sign_in_rotates_the_session_key_and_sets_only_secure_cookies(
    emu: EmulatorProcess,
) -> None:
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft", secure=True)
    assert _cookie_flags(start, settings.SESSION_COOKIE_NAME) == (True, True, "Lax")
    before = start.cookies[settings.SESSION_COOKIE_NAME].value
    callback = urlsplit(emu.complete_sign_in(start["Location"], demo.ADA.user_principal_name))
    finished = client.get(f"{callback.path}?{callback.query}", secure=True)
    assert finished.status_code == 302, finished.content.decode()[:2000]
    # The session a visitor (or someone who planted the cookie) had before is not the
    # one that holds the tokens.
    after = finished.cookies[settings.SESSION_COOKIE_NAME]
    assert after.value != before
    assert _cookie_flags(finished, settings.SESSION_COOKIE_NAME) == (True, True, "Lax")
    page = client.get("/", secure=True)
    assert page.status_code == 200
    assert _cookie_flags(page, settings.CSRF_COOKIE_NAME) == (True, True, "Lax")
    # The pre-sign-in session key opens nothing.
    planted = Client(HTTP_HOST="localhost")
    planted.cookies[settings.SESSION_COOKIE_NAME] = before
    assert planted.get("/", secure=True).status_code == 302


@SECURE
def test_plain_http_is_sent_to_https_before_anything_else(emu: EmulatorProcess) -> None:
    response = Client(HTTP_HOST="localhost").get("/sets/?q=x")
    assert response.status_code == 301
    assert response["Location"] == "https://localhost/sets/?q=x"


def _csp(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in header.split(";")
        if directive.strip()
    }


@SECURE
@pytest.mark.parametrize(
    ("path", "htmx"), [("/", False), ("/sets/", False), ("/sets/", True), ("/objects/", False)]
)
def test_signed_in_pages_carry_hsts_a_strict_csp_and_no_framing(
    emu: EmulatorProcess, path: str, htmx: bool
) -> None:
    _, client = _signed_in_over_https(Client(HTTP_HOST="localhost"), emu)
    response = client.get(path, secure=True, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == f"max-age={YEAR}; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = _csp(response)
    nonce = next(s for s in csp["script-src"] if s.startswith("'nonce-"))
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'", nonce]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["form-action"][0] == "'self'"
    header = response["Content-Security-Policy"]
    for loose in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "strict-dynamic", "*"):
        assert loose not in header
    assert [name for name, sources in csp.items() if "data:" in sources] == ["img-src"]
    page = Html(response)
    for script in page.css("script"):
        assert script.get("nonce") == nonce.removeprefix("'nonce-").removesuffix("'")
        assert script.get("src"), "an inline script"
    html = response.content.decode()
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "an inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", html), "an inline style"


@SECURE
def test_every_response_gets_a_new_nonce(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    nonces = {
        next(
            s for s in _csp(client.get("/auth/sign-in", secure=True))["script-src"] if "nonce" in s
        )
        for _ in range(3)
    }
    assert len(nonces) == 3


@SECURE
def test_health_and_error_pages_carry_the_headers_too(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    for response in (client.get("/healthz", secure=True), client.get("/no-such-page", secure=True)):
        assert response["Strict-Transport-Security"].startswith(f"max-age={YEAR}")
        assert response["X-Frame-Options"] == "DENY"
        assert _csp(response)["frame-ancestors"] == ["'none'"]
