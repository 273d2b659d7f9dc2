"""The health endpoint, security headers, CSP, and the sign-in gate, through the test client."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_healthz_reports_the_database_without_sign_in(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_cursor(*args: object, **kwargs: object) -> None:
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_anonymous_visitor_is_sent_to_sign_in_with_next(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/auth/sign-in?next=/"


def test_anonymous_htmx_request_gets_hx_redirect_not_a_swapped_page(client: Client) -> None:
    response = client.get(
        "/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/some/page"}
    )
    assert response.status_code == 200
    # The same address as when a signed-in person's tokens are gone (test_sign_in.py).
    assert response["HX-Redirect"] == "/auth/sign-in/microsoft?next=%2Fsome%2Fpage"


def test_landing_page_carries_security_headers_and_a_strict_csp(client: Client) -> None:
    response = client.get("/auth/sign-in?next=/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Request-ID"]


def test_landing_page_loads_vendored_htmx_with_the_csp_nonce(client: Client) -> None:
    response = client.get("/auth/sign-in")
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    assert f'src="/static/vendor/htmx-2.0.11.min.js" nonce="{nonce}"' in html
    assert "Sign in with Microsoft" in html


def test_sign_out_is_post_only(client: Client) -> None:
    assert client.get("/auth/sign-out").status_code == 405


# CSRF on every POST route: tests/portal/test_security_review.py.
