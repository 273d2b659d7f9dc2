"""gunicorn's settings, shared by `make serve` and the Dockerfile's CMD.

Both run `gunicorn portal.wsgi:application --config python:portal.gunicorn_config` and add
only where to listen (and, in the container, which proxies to trust), so the two cannot
drift apart and the tests start gunicorn exactly as they do. What varies by machine or
platform comes from the environment: GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_GRACEFUL_TIMEOUT, GUNICORN_KEEPALIVE (seconds) and GUNICORN_MAX_REQUESTS.
DEPLOYMENT.md, "gunicorn settings", gives the reasons for each default.

gunicorn reads every module-level name that is one of its settings and ignores the rest;
command-line options override these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from portal.env import env_bool, env_int
from portal.log_redaction import RedactQueryStringsFilter, redact_access_log_atoms
from portal.logs import JsonFormatter, log_format


class RedactingLogger(Logger):
    """gunicorn's logger, with every query in its access and error logs reduced to the
    parameters' names (portal.log_redaction says why), and both logs one JSON object a
    line when the portal's are (LOG_FORMAT)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # setup() runs again on each reload (SIGHUP); one filter is enough.
        if not any(isinstance(f, RedactQueryStringsFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactQueryStringsFilter())
        if log_format(env_bool("DEBUG", False)) == "json":
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                handler.setFormatter(JsonFormatter())

    def atoms(
        self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        return redact_access_log_atoms(super().atoms(resp, req, environ, request_time))


# A request mostly waits for Graph (one to a few round trips of 50-500 ms each), and a
# waiting thread holds no CPU and no GIL: threads, not processes, carry the concurrency.
# One or two workers per core; more instances (containers) scale further.
workers = env_int("GUNICORN_WORKERS", 2, minimum=1)
# threads > 1 selects the gthread worker, whose main loop keeps reporting to the arbiter
# while request threads wait: a long export does not get its worker killed.
threads = env_int("GUNICORN_THREADS", 8, minimum=1)
# With gthread, how long a worker may stop reporting before it is killed (a hung process);
# with threads=1 (the sync worker) it also ends any request that runs longer, so it must
# outlast the longest export (ceil(N / 999) Graph pages at Graph's latency: about 51
# pages for 50,000 objects).
timeout = env_int("GUNICORN_TIMEOUT", 120, minimum=0)
# On SIGTERM (a deploy, a scale-in) requests in flight get this long to finish, streamed
# exports included. Keep the orchestrator's grace period (Kubernetes'
# terminationGracePeriodSeconds, ECS's stopTimeout) a little longer than this.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 60, minimum=0)
# Idle keep-alive connections stay open longer than the load balancer's own idle timeout
# (AWS ALB's default is 60 s; raise this where the balancer's is longer), so the balancer
# never reuses a connection gunicorn has just closed (a 502). gthread parks idle
# connections in its poller, not in a thread.
keepalive = env_int("GUNICORN_KEEPALIVE", 75, minimum=0)
# Each worker is replaced after about this many requests (0: never), the jitter keeping
# the workers of an instance from restarting together: it returns memory that large
# uploads and exports fragmented. The replacement is graceful.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10

# Requests go to stdout and gunicorn's own messages to stderr, where a container's logs
# are collected.
accesslog = "-"
errorlog = "-"

# The default control socket ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) is one path
# for every gunicorn the user runs, and nothing here uses gunicornc.
control_socket_disable = True

logger_class = RedactingLogger
