"""What the bench scripts share: a portal configured against a running emulator, with a
throwaway SQLite database, and a test client signed in through the real MSAL flow."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulator.harness import EmulatorProcess
from emulator.tenant import demo

ADA = "ada.admin@contoso.example"


def portal_environment(emulator: EmulatorProcess, database_url: str) -> dict[str, str]:
    """The portal's settings for a bench: DEBUG off, as `make serve` runs it, against the
    emulator's demo client; one secret and one audit key, so any instance reads any
    session."""
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-that-is-long-enough-to-pass",
        "PORTAL_AUDIT_KEY": "bench-only-audit-key-that-is-long-enough-to-pass",
        "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        "SECURE_COOKIES": "false",
        "DATABASE_URL": database_url,
        "PORTAL_TENANT_ID": demo.TENANT_ID,
        "PORTAL_CLIENT_ID": demo.PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET": demo.PORTAL_CLIENT_SECRET,
        # DEBUG off with the demo client, as `make serve` runs it (portal/checks.py).
        "PORTAL_ALLOW_DEMO_CLIENT": "true",
        "PORTAL_AUTHORITY": emulator.authority,
        "PORTAL_GRAPH_URL": emulator.graph_root,
        "PORTAL_CA_BUNDLE": str(emulator.ca_path),
        "LOG_LEVEL": "WARNING",
    }


def wait_healthy(url: str, *, seconds: float = 60) -> None:
    """Waits until a portal started as a process answers /healthz."""
    import time

    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /healthz within {seconds:.0f} s")


def configure_django(emulator: EmulatorProcess, workdir: Path) -> None:
    os.environ.update(portal_environment(emulator, f"sqlite:///{workdir / 'bench.sqlite3'}"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def signed_in_client(emulator: EmulatorProcess, upn: str = ADA) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft")
    callback = urlsplit(emulator.complete_sign_in(start["Location"], upn))
    finished = client.get(f"{callback.path}?{callback.query}")
    assert finished.status_code == 302, finished.content[:500]
    client.get("/")  # reads and caches the roles, as the home page does after sign-in
    return client


def rss_kb(field: str = "VmRSS") -> int:
    """This process's resident memory (VmRSS) or its high-water mark (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def reset_peak_rss() -> None:
    """Starts VmHWM again from the current RSS (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")
