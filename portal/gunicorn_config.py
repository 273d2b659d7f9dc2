"""gunicorn's settings, shared by `make serve` and the Dockerfile's CMD.

Both run `gunicorn portal.wsgi:application --config python:portal.gunicorn_config` and add
only where to listen (and, in the container, which proxies to trust), so the two cannot
drift apart and the tests start gunicorn exactly as they do. What varies by machine comes
from the environment: GUNICORN_WORKERS, GUNICORN_THREADS and GUNICORN_TIMEOUT (seconds).

gunicorn reads every module-level name that is one of its settings and ignores the rest;
command-line options override these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from portal.env import env_int
from portal.log_redaction import RedactQueryStringsFilter, redact_access_log_atoms


class RedactingLogger(Logger):
    """gunicorn's logger, with every query in its access and error logs reduced to the
    parameters' names (portal.log_redaction says why)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup() runs again on each reload (SIGHUP); one filter is enough.
        if not any(isinstance(f, RedactQueryStringsFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactQueryStringsFilter())

    def atoms(
        self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        return redact_access_log_atoms(super().atoms(resp, req, environ, request_time))


workers = env_int("GUNICORN_WORKERS", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 60, minimum=0)

# Requests go to stdout and gunicorn's own messages to stderr, where a container's logs
# are collected.
accesslog = "-"
errorlog = "-"

# The default control socket ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) is one path
# for every gunicorn the user runs, and nothing here uses gunicornc.
control_socket_disable = True

logger_class = RedactingLogger
