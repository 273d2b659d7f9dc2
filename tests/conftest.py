"""Fixtures shared by the whole suite.

The emulator runs once per session in its own process on free ports, over real
HTTPS with its own CA; the portal's settings are pointed at it exactly as
`make demo` does, so tests exercise the same code path as a real tenant.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

if TYPE_CHECKING:
    from emulator.harness import EmulatorProcess

# Playwright's sync API runs an event loop in the main thread, which makes Django's
# async-safety check refuse ORM calls from the test body and the live server.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests (tests/**/test_*_properties.py): a bounded number of examples, no per-example
# deadline (a page costs a Graph round trip or two against the emulator), and in CI the same
# examples on every run, so a red build is a real regression, not a new random draw. The
# fixtures of a test (a signed-in client, the emulator) are shared by its examples on
# purpose: each example resets what it changed, or changes nothing.
settings.register_profile(
    "portal",
    max_examples=60,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Locally, failing examples are remembered (in var/, which git ignores) and tried first.
    database=None if os.environ.get("CI") else DirectoryBasedExampleDatabase("var/hypothesis"),
)
# `HYPOTHESIS_PROFILE=thorough` searches much longer, for a run by hand after a change.
settings.register_profile("thorough", settings.get_profile("portal"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "portal"))

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
    from emulator.harness import EmulatorProcess

    process = EmulatorProcess(seed="demo", ca_dir=tmp_path_factory.mktemp("emulator-ca")).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def portal_settings(emulator: EmulatorProcess) -> Iterator[None]:
    """Points the portal at the emulator for the rest of the session."""
    from django.conf import settings

    from emulator.tenant import demo

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
def graph_as(emu: EmulatorProcess) -> Callable[..., Any]:
    """Calls the emulator's Graph directly, as a demo account: the other side of each rule."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, upn: str = "ada.admin@contoso.example", **kwargs: Any) -> Any:
        if upn not in tokens:
            tokens[upn] = emu.password_token(upn)
        return emu.graph(method, path, token=tokens[upn], **kwargs)

    return call


@pytest.fixture
def ca_path(emulator: EmulatorProcess) -> Path:
    return Path(emulator.ca_path)


def sign_in(client: Client, emulator: EmulatorProcess, upn: str, *, next_url: str = "/") -> Client:
    """Signs a test client in through the real flow: portal → emulator → callback."""
    start = client.get("/auth/sign-in/microsoft", {"next": next_url})
    assert start.status_code == 302, start.content
    callback = urlsplit(emulator.complete_sign_in(start["Location"], upn))
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
        return sign_in(Client(HTTP_HOST="localhost"), emu, upn)

    return factory
