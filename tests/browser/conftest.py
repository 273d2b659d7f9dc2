from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page

from emulator.harness import EmulatorProcess


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors and CSP reports the page logs; journeys end by asserting there were none."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", collect)
    return errors


@pytest.fixture
def sign_in_as(live_server, page: Page, emu: EmulatorProcess) -> Callable[[str], None]:
    """Signs in through the landing page and the emulator's sign-in page, as a person would."""

    def sign_in(upn: str) -> None:
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Sign in with Microsoft").click()
        page.get_by_label("Email or user name").fill(upn)
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
