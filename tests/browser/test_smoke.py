"""The base page in a real Chromium: htmx loads under the CSP and nothing is blocked."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db, pytest.mark.smoke]


def test_base_page_loads_htmx_without_csp_violations(live_server, page: Page) -> None:
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    response = page.goto(f"{live_server.url}/auth/sign-in")
    assert response is not None
    assert response.ok
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("htmx.version").startswith("2.")
    assert page.get_by_role("link", name="Sign in with Microsoft").is_visible()
    problems = [m.text for m in console if m.type == "error" or "Content Security Policy" in m.text]
    assert problems == []
