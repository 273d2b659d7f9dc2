"""Settings for the test run: portal.settings with test-only environment defaults.

The emulator's ports are only known once the session fixture has started it, so
tests/conftest.py points the Entra and Graph settings at it with override_settings.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-the-check")
os.environ.setdefault("PORTAL_AUDIT_KEY", "test-audit-key-that-is-long-enough-for-the-check")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("PORTAL_CLIENT_ID", "00000000-0000-0000-0000-000000000000")
os.environ.setdefault("PORTAL_CLIENT_SECRET", "set-by-the-emulator-fixture")
os.environ.setdefault("SECURE_COOKIES", "false")

from portal.settings import *  # noqa: F403, TID251

# pytest-django runs with DEBUG off, and live_server serves static files through the
# finders, which know nothing of the hashed names that manifest storage produces.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: its table locks do not wait, so a
    # worker thread or process (the bulk jobs) and the live server could not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")  # noqa: F405
    }
