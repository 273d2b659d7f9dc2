"""System checks that refuse a dangerous configuration before the portal serves anything.

Django runs them for every `manage.py` command (runserver, migrate, db_worker, check) but
gunicorn never does, so portal/wsgi.py runs the security-tagged ones itself at start-up
(`refuse_to_serve_on_errors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register, run_checks
from django.core.exceptions import ImproperlyConfigured

# The bundled emulator's demo tenant and app registration (emulator/tenant/demo.py). They
# are public: anyone can mint tokens for them with the emulator, so with DEBUG off they
# mean a demo configuration has reached a server. portal never imports the emulator, so
# they are repeated here; tests/portal/test_security_config.py keeps the two in step.
DEMO_TENANT_ID = "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
DEMO_CLIENT_ID = "8b2f7c1d-4e5a-4c3b-9d8e-1a2b3c4d5e6f"
DEMO_CLIENT_SECRET = "demo-portal-secret-not-for-production"  # noqa: S105 - refused, not used


@register(Tags.security)
def demo_client_with_debug_off(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.DEBUG or settings.PORTAL_ALLOW_DEMO_CLIENT:
        return []
    found = [
        name
        for name, value, demo in (
            ("PORTAL_TENANT_ID", settings.PORTAL_TENANT_ID, DEMO_TENANT_ID),
            ("PORTAL_CLIENT_ID", settings.PORTAL_CLIENT_ID, DEMO_CLIENT_ID),
            ("PORTAL_CLIENT_SECRET", settings.PORTAL_CLIENT_SECRET, DEMO_CLIENT_SECRET),
        )
        if value and value.casefold() == demo
    ]
    if not found:
        return []
    return [
        Error(
            f"DEBUG is off but {', '.join(found)} {'is' if len(found) == 1 else 'are'} the "
            "bundled emulator's demo value, which anyone can use.",
            hint=(
                "Register the portal in your tenant and set PORTAL_TENANT_ID, "
                "PORTAL_CLIENT_ID and a credential of its own (README.md, 'Using it with a "
                "real tenant'). For a local trial against the emulator with DEBUG off, as "
                "`make serve` does, set PORTAL_ALLOW_DEMO_CLIENT=true."
            ),
            id="portal.E001",
        )
    ]


def refuse_to_serve_on_errors() -> None:
    """Runs the security checks and stops the process on an error, as `manage.py` would."""
    errors = [
        message
        for message in run_checks(tags=[Tags.security], include_deployment_checks=False)
        if message.is_serious()
    ]
    if errors:
        raise ImproperlyConfigured(
            "The portal refuses to start:\n" + "\n".join(str(error) for error in errors)
        )
