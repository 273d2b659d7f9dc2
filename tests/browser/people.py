"""What a journey does as a person in one browser page: sign in, and have its console
watched. The fixtures in conftest.py do this for the default page; a journey with a
second person opens another context and calls these on its page."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page


def watch_console(page: Page) -> list[str]:
    """The errors and CSP reports `page` logs from now on, collected as they come."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("console", collect)
    return errors


def sign_in_on(page: Page, portal_url: str, upn: str) -> None:
    """Signs in through the landing page and the emulator's sign-in page, as a person would."""
    page.goto(f"{portal_url}/")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.get_by_label("Email or user name").fill(upn)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{portal_url}/")
