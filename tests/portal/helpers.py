"""What several tests of tests/portal share: Python started without this process's
settings, and a session whose cached access token looks expired."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.test import Client

from portal.auth.msal_app import CACHE_KEY

ROOT = Path(__file__).resolve().parents[2]

# The environment variables that configure the portal; a clean run starts without them.
_PORTAL_SETTINGS = ("PORTAL_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_")
_PORTAL_SETTINGS += ("SECURE_", "SESSION_", "CSRF_", "BEHIND_")


def python_in_clean_environment(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a new Python with only `environment` for the portal's settings."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(_PORTAL_SETTINGS)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**kept, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def expire_cached_access_tokens(client: Client) -> None:
    """Makes MSAL's cached access token look expired, as an hour passing would."""
    session = client.session
    cache = json.loads(session[CACHE_KEY])
    for token in cache["AccessToken"].values():
        token["expires_on"] = token["extended_expires_on"] = "1000"
    session[CACHE_KEY] = json.dumps(cache)
    session.save()
