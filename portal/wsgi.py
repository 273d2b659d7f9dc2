from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# gunicorn, unlike runserver and manage.py commands, never runs Django's system checks.
from portal.checks import refuse_to_serve_on_errors  # noqa: E402 - needs the app registry

refuse_to_serve_on_errors()
