"""Fixtures shared by the whole suite.

The emulator runs once per session in its own process on free ports, over real
HTTPS with its own CA; the portal's settings are pointed at it exactly as
`make demo` does, so tests exercise the same code path as a real tenant.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.test import Client, override_settings

if TYPE_CHECKING:
    from emulator.control import EmulatorProcess

# Playwright's sync API runs an event loop in the main thread, which makes Django's
# async-safety check refuse ORM calls from the test body and the live server.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests fail loudly in CI when Chromium is missing instead of being skipped."""
    if shutil.which(CHROMIUM) or not any(item.get_closest_marker("browser") for item in items):
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`."
    if os.environ.get("CI"):
        raise pytest.UsageError(message)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    from emulator.control import EmulatorProcess

    process = EmulatorProcess(seed="demo", ca_dir=tmp_path_factory.mktemp("emulator-ca")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def portal_settings(emulator: EmulatorProcess) -> Iterator[None]:
    """Points the portal at the emulator for the rest of the session."""
    from django.conf import settings

    from emulator import demo

    browser_origin = emulator.browser_url.rstrip("/")
    csp = {**settings.SECURE_CSP, "form-action": ["'self'", browser_origin]}
    overrides = override_settings(
        PORTAL_TENANT_ID=demo.TENANT_ID,
        PORTAL_CLIENT_ID=demo.PORTAL_CLIENT_ID,
        PORTAL_CLIENT_SECRET=demo.PORTAL_CLIENT_SECRET,
        PORTAL_AUTHORITY=emulator.authority,
        PORTAL_GRAPH_URL=emulator.graph_root,
        PORTAL_CA_BUNDLE=str(emulator.ca_path),
        PORTAL_CSP_FORM_ACTION=[browser_origin],
        SECURE_CSP=csp,
        # Pages give up on the first transient failure; tests/portal/test_graph_client.py
        # covers the retries themselves, with a clock that costs no real time.
        PORTAL_GRAPH_RETRY_BUDGET=0,
    )
    overrides.enable()
    try:
        yield
    finally:
        overrides.disable()


@pytest.fixture
def emu(emulator: EmulatorProcess, portal_settings: None) -> EmulatorProcess:
    """The emulator, reset to the demo tenant, with the portal pointed at it."""
    emulator.reset()
    return emulator


@pytest.fixture
def ca_path(emulator: EmulatorProcess) -> Path:
    return Path(emulator.ca_path)


class _FormReader(HTMLParser):
    """The first form of a page: its action and the values of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def sign_in_at_emulator(authorize_url: str, upn: str, password: str = "demo") -> str:
    """Fills the emulator's sign-in page like a person would; returns where it redirects."""
    browser = requests.Session()
    browser.trust_env = False
    page = browser.get(authorize_url, timeout=30)
    page.raise_for_status()
    form = _FormReader()
    form.feed(page.text)
    assert form.action is not None, "the sign-in page has no form"
    answer = browser.post(
        urljoin(authorize_url, form.action),
        data={**form.fields, "username": upn, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in {302, 303}, answer.text
    return answer.headers["Location"]


def sign_in(client: Client, upn: str, *, next_url: str = "/") -> Client:
    """Signs a test client in through the real flow: portal → emulator → callback."""
    start = client.get("/auth/sign-in/microsoft", {"next": next_url})
    assert start.status_code == 302, start.content
    callback = urlsplit(sign_in_at_emulator(start["Location"], upn))
    finished = client.get(f"{callback.path}?{callback.query}")
    assert finished.status_code == 302, finished.content.decode()[:2000]
    assert finished["Location"] == next_url
    return client


@pytest.fixture
def signed_in(emu: EmulatorProcess, db: None) -> Callable[[str], Client]:
    """`signed_in("ada.admin@contoso.example")` returns a Django test client signed in as that
    demo account through MSAL and the emulator. The redirect URI uses the host localhost,
    which the emulator's demo app registration accepts on any port."""

    def factory(upn: str) -> Client:
        return sign_in(Client(HTTP_HOST="localhost"), upn)

    return factory
