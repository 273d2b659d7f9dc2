from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from emulator.harness import EmulatorProcess
from tests.browser.people import sign_in_on, watch_console


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors and CSP reports the page logs; journeys end by asserting there were none."""
    return watch_console(page)


@pytest.fixture
def sign_in_as(live_server, page: Page, emu: EmulatorProcess) -> Callable[[str], None]:
    """Signs the page in through the landing page and the emulator's sign-in page."""

    def sign_in(upn: str) -> None:
        sign_in_on(page, live_server.url, upn)

    return sign_in
